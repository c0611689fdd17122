"""Public notice (公示) as the evaluation application runs it: publishing a proposed
list with its period counted in working days, objections from the public, the DRC's
answers, and the conclusion, fired by the deadline clock when the period ends (or by
the last answer, if objections were still open then). Concluding takes the proposed
decisions for the bases left on the list, effective on the day the notice concludes.

An application mixin of ``EvaluationApplication``.
"""

from datetime import date
from uuid import UUID, uuid4

from services.backbone.calendar.workdays import NoCalendar, working_calendar
from services.backbone.eventstore.deadlines import DeadlineClock
from services.backbone.eventstore.views import View
from services.backbone.kernel.context import Context
from services.backbone.kernel.errors import Conflict, NotFound, RuleViolation, field_error
from services.contracts.vocabulary import ACTIVE_STATUSES

from .completeness import check_chosen_complete
from .domain import Base, Batch
from .notices import PROPOSED, Notice
from .policy import BEIJING, Decision
from .ranking import choose_certified
from .records import Record

NOTICE_DAYS = (5, 15)  # working days: 5 at least (the practice is 5 to 7)
PROPOSALS = {"revoked": "拟撤销省级双创示范基地资格",
             "recommended_national": "拟推荐申报国家级双创示范基地"}


class NoticeBoard(View):
    """Every notice's id, in the order published (the notices themselves are read
    from the repository: a handful a year)."""

    def __init__(self):
        self.reset()

    def reset(self) -> None:
        self.notice_ids: list[UUID] = []

    def apply(self, event) -> None:
        if isinstance(event, Notice.Published):
            self.notice_ids.append(event.originator_id)


class NoticeDesk(DeadlineClock):
    """Mixin: public notices and their objections."""

    deadline_actions = {"conclude_notice": "conclusion_on_deadline"}

    def publish_notice(self, *, title: str, purpose: str, base_ids: list[UUID],
                       working_days: int, contact: str, ctx: Context,
                       batch_id: UUID | None = None, starts_on: date | None = None) -> Notice:
        """Announces a proposed list; the period ends at the end of its last working
        day, when the deadline clock concludes it."""
        notice, deadline = self.notice_to_publish(
            title=title, purpose=purpose, base_ids=base_ids, working_days=working_days,
            contact=contact, ctx=ctx, batch_id=batch_id, starts_on=starts_on)
        self.save(notice, deadline)
        return notice

    def notice_to_publish(self, *, title: str, purpose: str, base_ids: list[UUID],
                          working_days: int, contact: str, ctx: Context,
                          batch_id: UUID | None = None, starts_on: date | None = None) -> tuple:
        """The notice and its deadline, for the caller to save (with what else it changes)."""
        today = self.clock().astimezone(BEIJING).date()
        starts_on = starts_on or today
        if starts_on < today:
            raise field_error("starts_on", "a notice starts today or later")
        if not NOTICE_DAYS[0] <= working_days <= NOTICE_DAYS[1]:
            raise field_error("working_days", f"a notice runs {NOTICE_DAYS[0]} to {NOTICE_DAYS[1]} working days")
        calendar = working_calendar()
        try:
            ends_at = calendar.period_end(starts_on, working_days)
        except NoCalendar as missing:
            raise field_error("working_days", str(missing)) from None
        entries = self._proposed_entries(purpose, batch_id, base_ids)
        notice = Notice(title=title, purpose=purpose, batch_id=batch_id, entries=entries,
                        starts_on=starts_on, working_days=working_days, ends_at=ends_at,
                        calendar_version=calendar.version, contact=contact, ctx=ctx)
        if notice.id in self.repository:
            raise field_error("title", f"a notice titled {title} already exists", Conflict)
        deadline = self.set_deadline(name=f"notice:{notice.id}", due_at=ends_at,
                                     action="conclude_notice", args={"notice_id": str(notice.id)},
                                     ctx=ctx)
        return notice, deadline

    def _proposed_entries(self, purpose: str, batch_id: UUID | None, base_ids: list[UUID]) -> list[dict]:
        """The list: for a certification, declarations of the batch ranked within its
        quota (the ranking's rules apply as at certification); otherwise bases in good
        standing."""
        if len(set(base_ids)) != len(base_ids):
            raise field_error("base_ids", "a base is listed twice")
        to_status = PROPOSED[purpose]
        if purpose == "certification":
            if batch_id is None:
                raise field_error("batch_id", "a certification notice names its batch")
            batch = self.require(batch_id, Batch, "batch", field="batch_id")
            if not batch.closed or batch.concluded:
                raise RuleViolation(f"Batch {batch.name} must be closed and not yet certified.")
            if self.notice_pending_for(batch_id):
                raise Conflict(f"A notice of batch {batch.name} is already running.")
            kept, _ = self.recommended_ranking(batch, self.awaiting_ranking(batch_id))
            self.opinions_note(batch)  # the departments asked have answered: the list is final
            incomplete = self.incomplete_declarations(row["base_id"] for row in kept)
            check_chosen_complete(base_ids, incomplete)  # none returned for completion (退回补正)
            ranking = {row["base_id"]: row for row in kept if row["base_id"] not in incomplete}
            choose_certified(list(ranking.values()), batch.quota, base_ids)
            return [{"base_id": b, "name": ranking[b]["name"], "to_status": to_status,
                     "reason": f"{batch.name}综合评分 {ranking[b]['score']}，列第 {ranking[b]['rank']} 名，拟认定"}
                    for b in base_ids]
        if batch_id is not None:
            raise field_error("batch_id", "only a certification notice names a batch")
        entries = []
        for base_id in base_ids:
            base = self.require(base_id, Base, "base", field="base_ids")
            if base.status not in ACTIVE_STATUSES:
                raise field_error("base_ids", f"{base.name} is {base.status}, not a demonstration base")
            entries.append({"base_id": base_id, "name": base.name, "to_status": to_status,
                            "reason": PROPOSALS[to_status]})
        return entries

    def lodge_objection(self, notice_id: UUID, *, base_id: UUID, objector: dict, text: str,
                        documents: list[dict], ctx: Context) -> UUID:
        """Anyone's objection to a base on a notice, within its period."""
        notice = self.require(notice_id, Notice, "notice")
        objection_id = uuid4()
        notice.lodge(objection_id=objection_id, base_id=base_id, objector=objector, text=text,
                     documents=documents, at=self.clock(), ctx=ctx)
        self.save(notice)
        return objection_id

    def answer_objection(self, notice_id: UUID, objection_id: UUID, *, upheld: bool,
                         reasons: str, ctx: Context) -> Notice:
        """The DRC's answer; the last answer after the period concludes the notice."""
        notice = self.require(notice_id, Notice, "notice")
        notice.answer(objection_id=objection_id, upheld=upheld, reasons=reasons,
                      at=self.clock(), ctx=ctx)
        changed = self._conclusion(notice, ctx) if notice.may_conclude(self.clock()) else []
        self.save(notice, *changed)
        return notice

    def conclusion_on_deadline(self, notice_id: str, ctx: Context) -> list:
        """The deadline clock's action at the end of the period: concludes the notice,
        unless objections still await an answer (the last answer concludes it then)."""
        notice = self.require(UUID(notice_id), Notice, "notice")
        if not notice.may_conclude(self.clock()):
            return []
        return [notice, *self._conclusion(notice, ctx)]

    def _conclusion(self, notice: Notice, ctx: Context) -> list:
        """Concludes the notice and takes its decisions for the bases left on the list."""
        now = self.clock()
        standing = notice.conclude(now, ctx)
        record = Record(effective_on=now.astimezone(BEIJING).date())
        note = f"经《{notice.title}》公示（{notice.starts_on}起{notice.working_days}个工作日）"
        if (call := self.call_under_notice(notice)) is not None:  # national: its own dimension
            call.notice_concluded(standing=[e["base_id"] for e in standing],
                                  withdrawn=notice.withdrawn, ctx=ctx)
            return [call]
        if notice.purpose == "certification":
            reason = note + ("，异议成立的基地撤出认定名单" if notice.withdrawn else "，无异议")
            batch, bases = self.certification(notice.batch_id, base_ids=[e["base_id"] for e in standing],
                                              ctx=ctx, reason=reason, record=record, basis="notice")
            return [batch, *bases]
        bases = []
        for entry in standing:
            base = self.require(entry["base_id"], Base, "base")
            decision = Decision(from_status=base.status, to_status=entry["to_status"],
                                reason=f"{entry['reason']}，{note}无成立的异议", basis="notice")
            base.adjust(record.stamp(decision, now), ctx=ctx)
            bases.append(base)
        return bases

    # -- reads ---------------------------------------------------------------------------

    def current_notices(self) -> list[dict]:
        """The notices whose period is running, as the public may see them: the list,
        the period and the contact, the count of objections, nobody's name."""
        now = self.clock()
        rows = []
        for notice in self._notices():
            if notice.is_open(now):
                rows.append(public_view(notice))
        return sorted(rows, key=lambda row: row["ends_at"])

    def notice(self, notice_id: UUID) -> dict:
        """A notice as the DRC sees it: with every objection, who lodged it, and the answer."""
        notice = self.find(notice_id, Notice)
        if notice is None:
            raise NotFound(f"No notice {notice_id}.")
        lodged = {e.objection_id: e for e in self.history(notice_id)
                  if isinstance(e, Notice.ObjectionLodged)}
        objections = [{**o, "objector": lodged[o["objection_id"]].objector,
                       "text": lodged[o["objection_id"]].text,
                       "documents": lodged[o["objection_id"]].documents}
                      for o in notice.objections.values()]
        return {**public_view(notice), "objections": objections,
                "concluded_at": notice.concluded_at, "withdrawn": notice.withdrawn}

    def notice_pending_for(self, batch_id: UUID) -> bool:
        """Whether a certification notice of the batch has not concluded yet (the batch
        is then certified by its conclusion, not directly)."""
        return any(n.batch_id == batch_id and n.concluded_at is None for n in self._notices())

    def _notices(self) -> list[Notice]:
        return [self.repository.get(notice_id) for notice_id in self.views[NoticeBoard].notice_ids]


def public_view(notice: Notice) -> dict:
    return {"notice_id": notice.id, "title": notice.title, "purpose": notice.purpose,
            "batch_id": notice.batch_id, "entries": notice.entries, "starts_on": notice.starts_on,
            "working_days": notice.working_days, "ends_at": notice.ends_at,
            "calendar_version": notice.calendar_version, "contact": notice.contact,
            "objections_received": len(notice.objections)}
