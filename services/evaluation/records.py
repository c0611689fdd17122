"""Decisions of record: the date a decision takes effect, its document number (文号)
and document, and decisions taken outside the platform (a government document, no
scores) entered by the DRC. Timelines and as-of statuses by effective date.

An application mixin of ``EvaluationApplication``: the commands here only build
decisions and hand them to ``Base.adjust``, which places them by effective date.
"""

from dataclasses import dataclass, replace
from datetime import date, datetime
from uuid import UUID

from services.backbone.kernel.context import Actor, Context
from services.backbone.kernel.errors import NotFound, RuleViolation, field_error
from services.contracts.decisions import check_published

from .domain import Base, Batch
from .effective import start_of
from .policy import BEIJING, Decision, end_of_day_after
from .views import Standings

# A batch is certified as a whole (certify_of_record); one base is adjusted on its own.
RECORDED = ("retained", "warned", "revoked", "recommended_national")


@dataclass(frozen=True)
class Record:
    """What a decision carries beside its outcome: the date it takes effect, and once
    published, its document number and document. Empty: effective when taken, a
    proposed decision not yet published."""

    effective_on: date | None = None
    document_number: str | None = None
    document: dict | None = None

    @classmethod
    def of(cls, data: dict) -> "Record":
        check_published(data)
        return cls(data.get("effective_on"), data.get("document_number"), data.get("document"))

    @property
    def published(self) -> bool:
        return self.document_number is not None

    def stamp(self, decision: Decision, now: datetime) -> Decision:
        """The decision with this record, taken ``now`` (on the service's clock)."""
        return replace(decision, decided_at=now, effective_on=self.effective_on or _day(now),
                       document_number=self.document_number, document=self.document)

    def moment(self, now: datetime) -> datetime:
        """When the decision counts from: deadlines run from its effective date."""
        return start_of(self.effective_on) if self.effective_on else now

    def check_not_ahead(self, now: datetime) -> None:
        if self.effective_on is not None and self.effective_on > _day(now):
            raise field_error("effective_on", "a decision is recorded once it has taken effect; "
                                              f"{self.effective_on} is still to come")

    def require_published(self) -> None:
        """A decision taken outside the platform is entered from its document."""
        for field, value in (("effective_on", self.effective_on),
                             ("document_number", self.document_number)):
            if value is None:
                raise field_error(field, "a decision of record is entered with its date, "
                                         "document number (文号) and document")


def _day(moment: datetime) -> date:
    return moment.astimezone(BEIJING).date()


class DecisionsOfRecord:
    """Mixin of the evaluation application: decisions entered from their documents."""

    def certify_of_record(self, batch_id: UUID, *, base_ids: list[UUID], record: Record,
                          ctx: Context, reason: str = "") -> list[dict]:
        """Certifies the bases a government document names (评选认定 outside the
        platform, without scores); every other declaration of the batch is not
        selected by the same document."""
        record.require_published()
        record.check_not_ahead(self.clock())
        batch = self.require(batch_id, Batch, "batch")
        awaiting = [row["base_id"] for row in self.views[Standings].select(batch_id=batch_id,
                                                                            status="declared")]
        if strangers := [str(b) for b in base_ids if b not in awaiting]:
            raise field_error("base_ids", "not declarations of this batch awaiting selection: "
                                          + ", ".join(strangers))
        if len(set(base_ids)) != len(base_ids):
            raise field_error("base_ids", "a base is named twice")
        others = [b for b in awaiting if b not in base_ids]
        batch.conclude(certified=list(base_ids), not_selected=others, reason=reason.strip(), ctx=ctx)
        note = f"；{reason.strip()}" if reason.strip() else ""
        bases = []
        for base_id in awaiting:
            certified = base_id in base_ids
            outcome = (f"经{record.document_number}认定为省级双创示范基地" if certified else
                       f"未列入{record.document_number}认定名单，未入选")
            decision = Decision(from_status="declared",
                                to_status="certified" if certified else "not_selected",
                                reason=f"{batch.name}：{outcome}{note}", basis="record",
                                batch_id=batch.id)
            base = self.require(base_id, Base, "base")
            base.adjust(record.stamp(decision, self.clock()), ctx=ctx)
            bases.append(base)
        self.save(batch, *bases)
        return [decided(base, ctx) for base in bases]

    def record_decision(self, base_id: UUID, *, to_status: str, reason: str, record: Record,
                        ctx: Context, rectification_deadline: date | None = None) -> dict:
        """Enters a decision on one base taken outside the platform (a warning, a
        revocation, a recommendation …) from its document. It may be dated before
        decisions already recorded: the status is derived again from that date."""
        record.require_published()
        now = self.clock()
        record.check_not_ahead(now)
        base = self.require(base_id, Base, "base")
        if to_status not in RECORDED:
            raise field_error("to_status", f"one of {', '.join(RECORDED)} (a batch is certified "
                                           "as a whole: its certification of record)")
        from_status = self.views[Standings].status_on(base_id, record.effective_on) or "declared"
        deadline = None
        if to_status == "warned":
            deadline = self._recorded_deadline(record, rectification_deadline)
        elif rectification_deadline is not None:
            raise field_error("rectification_deadline", "only a warning sets a rectification deadline")
        decision = Decision(from_status=from_status, to_status=to_status, reason=reason,
                            basis="record",
                            policy_version=self.policy_in_force if deadline else None,
                            rectification_deadline=deadline)
        base.adjust(record.stamp(decision, now), ctx=ctx)
        self.save(base)
        return decided(base, ctx)

    def _recorded_deadline(self, record: Record, day: date | None) -> datetime:
        """The document's deadline (end of that Beijing day), or the policy's period
        counted from the effective date."""
        if day is not None:
            if day <= record.effective_on:
                raise field_error("rectification_deadline", "the deadline falls after the decision")
            return end_of_day_after(start_of(day), 0)
        if self.policy_in_force is None:
            raise RuleViolation("No adjustment policy is in force to set the rectification "
                                "period: give rectification_deadline.")
        days = self.catalogue.policy(self.policy_in_force).rectification_days
        return end_of_day_after(record.moment(self.clock()), days)

    def publish_decision(self, base_id: UUID, *, number: int, document_number: str,
                         document: dict, ctx: Context) -> dict:
        """Gives a decision taken as proposed its 文号 and document, once published;
        ``number`` is its place among the base's decisions as recorded (from 1)."""
        base = self.require(base_id, Base, "base")
        decision = base.publish_decision(number=number, document_number=document_number,
                                         document=document, ctx=ctx)
        self.save(base)
        return {**decision.as_dict(), "base_id": base.id, "name": base.name, "number": number}

    # -- reads -----------------------------------------------------------------------------

    def timeline(self, base_id: UUID, actor: Actor) -> list[dict]:
        """A base's decisions by effective date, each with its entry time beside it."""
        self._readable_base(base_id, actor)
        return self.views[Standings].timeline(base_id)

    def statuses_on(self, day: date, base_id: UUID | None = None) -> list[dict]:
        """Every base's status (or one base's) on a Beijing date, by effective dates."""
        standings = self.views[Standings]
        ids = [base_id] if base_id is not None else list(standings.rows)
        rows = []
        for each in ids:
            status = standings.status_on(each, day)
            if status is not None:
                row = standings.rows[each]
                rows.append({"base_id": each, "name": row["name"], "kind": row["kind"],
                             "batch_id": row["batch_id"], "status": status})
        if base_id is not None and not rows:
            raise NotFound(f"Base {base_id} had no status on {day.isoformat()}.")
        return sorted(rows, key=lambda row: row["name"])


def decided(base: Base, ctx: Context) -> dict:
    """The decision just taken on a base, in the form the decisions view gives it."""
    decision = base.decisions[-1]
    return {**decision.as_dict(), "base_id": base.id, "name": base.name,
            "decided_at": decision.decided_at or base.modified_on, "entered_at": base.modified_on,
            "effective_on": decision.effective_on or _day(decision.decided_at or base.modified_on),
            "decided_by": ctx.as_dict()}
