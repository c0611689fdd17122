"""The standing of a base as funding sees it: a projection of upstream events. Pure.

Funding never asks the registry or evaluation whether a base may be funded: it records
what they publish (BaseDeclared, PlanFiled, BaseAdjusted) in its own log, and decides
from that record. A base is eligible while it is certified, retained or recommended for
national level, has a filed construction plan, and is neither warned nor revoked. The
record also lists the base's allocations, so that a revocation finds them, and so that
an allocation and a concurrent change of status conflict in the store; a payment writes
to it for the same reason.

Only the latest decision counts. Evaluation's decisions reach funding in the order of
evaluation's log, except one that was parked (it failed here) and that ops replays later,
after newer decisions were applied: the record keeps the log position of the decision
that set the status, and an older one is noted as stale and changes nothing.
"""

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.backbone.kernel.context import Context
from services.backbone.kernel.errors import RuleViolation, field_error
from services.contracts.vocabulary import KINDS, STATUSES

ELIGIBLE_STATUSES = ("certified", "retained", "recommended_national")


class BaseStanding(Aggregate):
    """A base as funding sees it, recorded from the registry's and evaluation's events."""

    @staticmethod
    def create_id(base_id: UUID, **_: Any) -> UUID:
        """The base's own id: every event of the record is about that base, and the
        base's other records in this store have ids of their own kind."""
        return base_id

    @event("Recorded")
    def __init__(self, base_id: UUID, ctx: Context):
        self.base_id = base_id
        self.name = ""
        self.kind: str | None = None
        self.status: str | None = None
        self.filed_plan_version: int | None = None
        # The position in evaluation's log (the only source of BaseAdjusted) of the
        # decision that set ``status``: what tells a replayed old decision from a new one.
        self.status_position: int | None = None
        self.allocation_ids: list[UUID] = []
        self.milestones: list[str] = []  # reached by a decision (milestones.reached_by_decision)

    # -- facts from upstream ------------------------------------------------------------

    def record_declaration(self, *, name: str, kind: str, region: dict | None = None,
                           ctx: Context) -> None:
        """The registry declared the base: its name, for people reading the ledger, and
        its city and county, for the DRC's funds by city (None: recorded before 2026)."""
        self._declared(name=name, kind=kind, region=region, ctx=ctx)

    @event("Declared")
    def _declared(self, name: str, kind: str, ctx: Context, region: dict | None = None) -> None:
        self.name = name
        self.kind = self.kind or kind

    def record_plan_filed(self, *, plan_version: int, kind: str, ctx: Context) -> None:
        """The base's construction plan was filed (备案); the plan states its kind."""
        if kind not in KINDS:
            raise field_error("kind", f"unknown kind of base {kind!r}")
        self._plan_filed(plan_version=plan_version, kind=kind, ctx=ctx)

    @event("PlanFiled")
    def _plan_filed(self, plan_version: int, kind: str, ctx: Context) -> None:
        self.filed_plan_version = plan_version
        self.kind = kind

    def record_status(self, *, from_status: str, to_status: str, reason: str, position: int,
                      ctx: Context) -> bool:
        """Evaluation decided the base's status, at ``position`` of its log. The latest
        decision is authoritative (its from_status is kept for audit even when it differs
        from ours); one from before the decision already applied (a parked event that
        ops replayed after newer ones arrived) is recorded as stale and not applied.
        Returns whether the status was applied."""
        if to_status not in STATUSES:
            raise field_error("to_status", f"unknown status {to_status!r}")
        if self.status_position is not None and position <= self.status_position:
            self._stale_status_ignored(from_status=from_status, to_status=to_status,
                                       reason=reason, position=position,
                                       applied_position=self.status_position, ctx=ctx)
            return False
        self._status_recorded(from_status=from_status, to_status=to_status, reason=reason,
                              position=position, ctx=ctx)
        return True

    @event("StatusRecorded")
    def _status_recorded(self, from_status: str, to_status: str, reason: str, ctx: Context,
                         position: int | None = None) -> None:
        self.status = to_status
        if position is not None:  # None: recorded before positions were kept
            self.status_position = position

    @event("StaleStatusIgnored")
    def _stale_status_ignored(self, from_status: str, to_status: str, reason: str,
                              position: int, applied_position: int, ctx: Context) -> None:
        pass  # for the base's history only: the newer decision stands

    def record_milestone(self, code: str | None, *, ctx: Context) -> None:
        """Notes a milestone a decision marked (once); None: the decision marked none."""
        if code is not None and code not in self.milestones:
            self._milestone_reached(code=code, ctx=ctx)

    @event("MilestoneReached")
    def _milestone_reached(self, code: str, ctx: Context) -> None:
        self.milestones.append(code)

    def reached(self) -> set[str]:
        """The milestones the base has reached, by funding's record of it."""
        filed = {"plan_filed"} if self.filed_plan_version is not None else set()
        return filed | set(self.milestones)

    # -- eligibility --------------------------------------------------------------------

    def ineligibility(self) -> list[str]:
        """Why the base may not receive funds now; empty when it may."""
        reasons = []
        if self.status == "warned":
            reasons.append("the base is warned (警示整改) and must rectify first")
        elif self.status == "revoked":
            reasons.append("the base was revoked (撤销)")
        elif self.status not in ELIGIBLE_STATUSES:
            reasons.append(f"the base is not certified (status: {self.status or 'unknown'})")
        if self.filed_plan_version is None:
            reasons.append("the base has no filed construction plan (建设方案未备案)")
        return reasons

    @property
    def is_eligible(self) -> bool:
        return not self.ineligibility()

    def record_allocation(self, *, allocation_id: UUID, ctx: Context) -> None:
        """Notes an allocation to the base, so that a later revocation finds it. Writing
        here also makes an allocation and a concurrent status change conflict."""
        reasons = self.ineligibility()
        if reasons:
            raise field_error("base_id", "; ".join(reasons))
        self._funded(allocation_id=allocation_id, ctx=ctx)

    @event("Funded")
    def _funded(self, allocation_id: UUID, ctx: Context) -> None:
        self.allocation_ids.append(allocation_id)

    def record_payment(self, *, allocation_id: UUID, tranche_id: UUID, ctx: Context) -> None:
        """Notes the payment of a tranche of one of the base's allocations, which only a
        base that may receive funds gets: the allocation's hold says what was applied to
        it, this record what funding knows of the base. Writing here makes a payment and
        a concurrent change of status conflict in the store, so that a payment never
        commits beside a warning or revocation it did not see."""
        reasons = self.ineligibility()
        if reasons:
            raise field_error("allocation_id", f"allocation {allocation_id} is to base "
                                               f"{self.name or self.base_id} ({self.base_id}), "
                                               "which may not be paid now: " + "; ".join(reasons))
        self._paid(allocation_id=allocation_id, tranche_id=tranche_id, ctx=ctx)

    @event("Paid")
    def _paid(self, allocation_id: UUID, tranche_id: UUID, ctx: Context) -> None:
        pass  # the write is the point: it orders a payment against changes of status


def ineligible_unknown_base(base_id: UUID) -> RuleViolation:
    """The refusal for a base funding has never heard of."""
    return field_error("base_id", f"base {base_id} is not known to funding: it is not "
                                  "certified and has no filed construction plan")
