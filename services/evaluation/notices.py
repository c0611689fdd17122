"""Public notice (公示): the DRC announces a proposed list for a period of working days,
anyone may object to a base on it, the DRC answers each objection (upheld: the base
leaves the list; dismissed: it stays), and once the period is over and every objection
is answered the notice concludes: the proposed decisions stand for the bases left.
Pure, no I/O.
"""

from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.backbone.kernel.context import Context, stable_id
from services.backbone.kernel.errors import Conflict, RuleViolation, field_error

from .conflicts import plain_name
from .effective import start_of

MAX_OBJECTIONS = 500  # per notice: past it, the list is contested enough to be withdrawn

# What each kind of notice proposes for its bases
PROPOSED = {"certification": "certified", "revocation": "revoked",
            "national_recommendation": "recommended_national"}


class Notice(Aggregate):
    """One public notice: its list, its period, the objections and their answers."""

    @staticmethod
    def create_id(title: str, **_: Any) -> UUID:
        return stable_id("notice", plain_name(title))

    @event("Published")
    def __init__(self, title: str, purpose: str, batch_id: UUID | None, entries: list[dict],
                 starts_on: date, working_days: int, ends_at: datetime, calendar_version: str,
                 contact: str, ctx: Context):
        self.title = title
        self.purpose = purpose
        self.batch_id = batch_id
        self.entries = entries
        self.starts_on = starts_on
        self.working_days = working_days
        self.ends_at = ends_at
        self.calendar_version = calendar_version
        self.contact = contact
        self.objections: dict[UUID, dict] = {}
        self.concluded_at: datetime | None = None
        self.withdrawn: list[dict] = []

    @property
    def base_ids(self) -> list[UUID]:
        return [entry["base_id"] for entry in self.entries]

    def is_open(self, at: datetime) -> bool:
        """Whether objections are received at ``at``: within the period."""
        return self.concluded_at is None and start_of(self.starts_on) <= at <= self.ends_at

    def lodge(self, *, objection_id: UUID, base_id: UUID, objector: dict, text: str,
              documents: list[dict], at: datetime, ctx: Context) -> None:
        """An objection to a base on the list, received within the period."""
        if not self.is_open(at):
            raise RuleViolation(f"《{self.title}》的公示期为{self.starts_on}至"
                                f"{self.ends_at:%Y-%m-%d}，当前不在公示期内，不再受理异议。")
        if base_id not in self.base_ids:
            raise field_error("base_id", "this base is not on the notice's list")
        if len(self.objections) >= MAX_OBJECTIONS:
            raise RuleViolation("This notice has received as many objections as it can take; "
                                "contact the DRC.")
        if objection_id in self.objections:
            raise field_error("objection_id", "this objection is already lodged", Conflict)
        self._lodged(objection_id=objection_id, base_id=base_id, objector=objector, text=text,
                     documents=documents, lodged_at=at, ctx=ctx)

    @event("ObjectionLodged")
    def _lodged(self, objection_id: UUID, base_id: UUID, objector: dict, text: str,
                documents: list[dict], lodged_at: datetime, ctx: Context) -> None:
        self.objections[objection_id] = {"objection_id": objection_id, "base_id": base_id,
                                         "lodged_at": lodged_at, "answer": None}

    def answer(self, *, objection_id: UUID, upheld: bool, reasons: str, at: datetime,
               ctx: Context) -> None:
        """The DRC's answer to an objection, with its reasons; once only."""
        objection = self.objections.get(objection_id)
        if objection is None:
            raise field_error("objection_id", "no such objection to this notice")
        if objection["answer"] is not None:
            raise field_error("objection_id", "this objection is already answered", Conflict)
        self._answered(objection_id=objection_id, base_id=objection["base_id"], upheld=upheld,
                       reasons=reasons, answered_at=at, ctx=ctx)

    @event("ObjectionAnswered")
    def _answered(self, objection_id: UUID, base_id: UUID, upheld: bool, reasons: str,
                  answered_at: datetime, ctx: Context) -> None:
        self.objections[objection_id]["answer"] = {"upheld": upheld, "reasons": reasons,
                                                   "answered_at": answered_at}

    @property
    def unanswered(self) -> list[UUID]:
        return [o["objection_id"] for o in self.objections.values() if o["answer"] is None]

    def may_conclude(self, at: datetime) -> bool:
        """The period is over, every objection answered, and it has not concluded."""
        return self.concluded_at is None and at > self.ends_at and not self.unanswered

    def conclude(self, at: datetime, ctx: Context) -> list[dict]:
        """Ends the notice: returns the entries that stand (no upheld objection)."""
        if not self.may_conclude(at):
            raise RuleViolation(f"《{self.title}》 concludes once its period is over and every "
                                "objection is answered.")
        withdrawn = {}
        for objection in self.objections.values():
            if objection["answer"]["upheld"] and objection["base_id"] not in withdrawn:
                withdrawn[objection["base_id"]] = {
                    "base_id": objection["base_id"], "objection_id": objection["objection_id"],
                    "reason": f"公示期间异议成立：{objection['answer']['reasons']}"[:1000]}
        standing = [e for e in self.entries if e["base_id"] not in withdrawn]
        # purpose and batch again: the published NoticeConcluded stands on its own
        self._concluded(purpose=self.purpose, batch_id=self.batch_id,
                        standing=[e["base_id"] for e in standing],
                        withdrawn=list(withdrawn.values()), concluded_at=at, ctx=ctx)
        return standing

    @event("Concluded")
    def _concluded(self, purpose: str, batch_id: UUID | None, standing: list[UUID],
                   withdrawn: list[dict], concluded_at: datetime, ctx: Context) -> None:
        self.concluded_at = concluded_at
        self.withdrawn = withdrawn
