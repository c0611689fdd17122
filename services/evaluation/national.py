"""The national recommendation (推荐申报国家级双创示范基地) as a process of its own: a
call per year with its quota and criteria, candidates chosen among the eligible bases
with reasons, a public notice (公示), the list submitted, and the national outcome per
base. Pure, no I/O.

Why its own aggregate, and not a provincial status: a base's national standing is a
separate dimension of its record. A later evaluation round decides the provincial
status (retained, warned …) and must not erase that a base was recommended to, or
selected by, the national authorities; so nothing here emits a ``Base.Adjusted``, and
``national_dimension`` folds a base's national standing from these events alone.
"""

from datetime import date, datetime
from typing import Any, Iterable, Mapping
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.backbone.kernel.context import Context, stable_id
from services.backbone.kernel.errors import Conflict, RuleViolation, field_error
from services.contracts.vocabulary import GRADES

# The stages of a call, in order
STAGES = ("open", "chosen", "under_notice", "noticed", "submitted")
# A base in one of these national statuses is not eligible for another call
TAKEN = ("candidate", "recommended", "selected")
# Provincial statuses a base may be recommended from: in good standing and not warned
RECOMMENDABLE = ("certified", "retained", "recommended_national")


def at_least(grade: str, minimum: str) -> bool:
    """Whether ``grade`` is ``minimum`` or better (GRADES lists the best first)."""
    order = list(GRADES)
    return order.index(grade) <= order.index(minimum)


def eligible_bases(grades: Iterable[Mapping], *, minimum_grade: str,
                   statuses: Mapping[UUID, str], national: Mapping[UUID, dict | None]) -> list[dict]:
    """The bases a call may recommend: graded ``minimum_grade`` or better in the call's
    round, in good standing and not warned now, and not already candidate, recommended
    or selected at national level (by this call or another). Best score first."""
    rows = []
    for row in grades:
        base_id = row["base_id"]
        standing = national.get(base_id) or {}
        if (at_least(row["grade"], minimum_grade) and statuses.get(base_id) in RECOMMENDABLE
                and standing.get("status") not in TAKEN):
            rows.append(dict(row))
    return sorted(rows, key=lambda r: (-r["score"], str(r["base_id"])))


class NationalCall(Aggregate):
    """One year's call for national recommendation, from its opening to its outcomes."""

    @staticmethod
    def create_id(year: int, **_: Any) -> UUID:
        return stable_id("national-call", year)

    @event("Opened")
    def __init__(self, year: int, quota: int, minimum_grade: str, round_id: UUID,
                 round_name: str, opened_at: datetime, ctx: Context):
        self.year = year
        self.quota = quota
        self.minimum_grade = minimum_grade
        self.round_id = round_id
        self.round_name = round_name
        self.stage = "open"
        self.candidates: list[dict] = []
        self.notice_id: UUID | None = None
        self.standing: list[UUID] = []
        self.outcomes: dict[UUID, dict] = {}

    def require_stage(self, stage: str, doing: str) -> None:
        if self.stage != stage:
            raise RuleViolation(f"The {self.year} national call is {self.stage}: {doing} needs it "
                                f"{stage}.")

    def choose(self, *, chosen: list[dict], eligible: list[dict], at: datetime, ctx: Context) -> None:
        """The DRC's candidates (``{"base_id", "reason"}``), among ``eligible``, within
        the quota; every eligible base left out is recorded as passed over."""
        self.require_stage("open", "choosing candidates")
        ids = [row["base_id"] for row in chosen]
        if not ids:
            raise field_error("candidates", "choose at least one base")
        if len(set(ids)) != len(ids):
            raise field_error("candidates", "a base is chosen twice")
        if len(ids) > self.quota:
            raise field_error("candidates", f"the call recommends at most {self.quota} bases")
        by_id = {row["base_id"]: row for row in eligible}
        if strangers := [str(b) for b in ids if b not in by_id]:
            raise field_error("candidates", "not eligible under the call's criteria (graded "
                              f"{GRADES[self.minimum_grade]} or better in {self.round_name}, in good "
                              f"standing, not already at national level): {', '.join(strangers)}")
        candidates = [{"base_id": b, "name": by_id[b]["name"], "grade": by_id[b]["grade"],
                       "score": by_id[b]["score"], "reason": row["reason"]}
                      for b, row in zip(ids, chosen)]
        passed_over = [{"base_id": row["base_id"], "name": row["name"],
                        "reason": f"符合条件（{self.round_name}{GRADES[row['grade']]}，{row['score']}分），"
                                  f"未列入{self.year}年推荐名单（名额 {self.quota} 个）"}
                       for row in eligible if row["base_id"] not in ids]
        self._chosen(year=self.year, candidates=candidates, passed_over=passed_over, chosen_at=at, ctx=ctx)

    @event("CandidatesChosen")
    def _chosen(self, year: int, candidates: list[dict], passed_over: list[dict], chosen_at: datetime,
                ctx: Context) -> None:
        self.candidates = candidates
        self.stage = "chosen"

    def put_under_notice(self, notice_id: UUID, ctx: Context) -> None:
        self.require_stage("chosen", "a public notice")
        self._under_notice(notice_id=notice_id, ctx=ctx)

    @event("PutUnderNotice")
    def _under_notice(self, notice_id: UUID, ctx: Context) -> None:
        self.notice_id = notice_id
        self.stage = "under_notice"

    def notice_concluded(self, *, standing: list[UUID], withdrawn: list[dict], ctx: Context) -> None:
        """The notice concluded: the candidates it left standing may be submitted."""
        self.require_stage("under_notice", "concluding its notice")
        self._noticed(standing=standing, withdrawn=withdrawn, ctx=ctx)

    @event("NoticeConcluded")
    def _noticed(self, standing: list[UUID], withdrawn: list[dict], ctx: Context) -> None:
        self.standing = standing
        self.stage = "noticed"

    def submit(self, *, document_number: str, submitted_on: date, at: datetime, ctx: Context) -> None:
        """The list the notice left standing goes to the national authorities."""
        self.require_stage("noticed", "submitting")
        if not self.standing:
            raise RuleViolation(f"The notice withdrew every candidate of the {self.year} call: "
                                "there is nothing to submit.")
        self._submitted(year=self.year, base_ids=list(self.standing), document_number=document_number,
                        submitted_on=submitted_on, submitted_at=at, ctx=ctx)

    @event("Submitted")
    def _submitted(self, year: int, base_ids: list[UUID], document_number: str, submitted_on: date,
                   submitted_at: datetime, ctx: Context) -> None:
        self.stage = "submitted"

    def record_outcome(self, *, base_id: UUID, selected: bool, document_number: str | None,
                       effective_on: date, reason: str, at: datetime, ctx: Context) -> None:
        """The national decision on one submitted base, once."""
        self.require_stage("submitted", "recording an outcome")
        if base_id not in self.standing:
            raise field_error("base_id", f"this base was not submitted in the {self.year} call")
        if base_id in self.outcomes:
            raise field_error("base_id", "this base's outcome is already recorded", Conflict)
        if selected and not document_number:
            raise field_error("document_number", "a selection cites the national document (文号)")
        self._outcome(year=self.year, base_id=base_id, selected=selected, document_number=document_number,
                      effective_on=effective_on, reason=reason, recorded_at=at, ctx=ctx)

    @event("OutcomeRecorded")
    def _outcome(self, year: int, base_id: UUID, selected: bool, document_number: str | None,
                 effective_on: date, reason: str, recorded_at: datetime, ctx: Context) -> None:
        self.outcomes[base_id] = {"selected": selected, "document_number": document_number,
                                  "effective_on": effective_on}

    def summary(self) -> dict:
        return {"call_id": self.id, "year": self.year, "quota": self.quota,
                "minimum_grade": self.minimum_grade, "round_id": self.round_id,
                "round_name": self.round_name, "stage": self.stage, "candidates": self.candidates,
                "notice_id": self.notice_id, "standing": self.standing,
                "outcomes": [{"base_id": b, **o} for b, o in self.outcomes.items()]}


def national_dimension(rows: dict[UUID, dict], event) -> None:
    """Folds a call's event into the national dimension of the bases it names
    (``rows[base_id]["national"]``): candidate, withdrawn by the notice, recommended,
    selected or not selected, with the call and the document that decided it."""
    call_id = event.originator_id

    def mark(base_id: UUID, status: str, document_number: str | None = None,
             effective_on: date | None = None) -> None:
        if base_id in rows:
            rows[base_id]["national"] = {"status": status, "call_id": call_id,
                                         "document_number": document_number,
                                         "effective_on": effective_on}

    if isinstance(event, NationalCall.CandidatesChosen):
        for row in event.candidates:
            mark(row["base_id"], "candidate")
    elif isinstance(event, NationalCall.NoticeConcluded):
        for row in event.withdrawn:
            mark(row["base_id"], "withdrawn")
    elif isinstance(event, NationalCall.Submitted):
        for base_id in event.base_ids:
            mark(base_id, "recommended", document_number=event.document_number,
                 effective_on=event.submitted_on)
    elif isinstance(event, NationalCall.OutcomeRecorded):
        mark(event.base_id, "selected" if event.selected else "not_selected",
             document_number=event.document_number, effective_on=event.effective_on)
