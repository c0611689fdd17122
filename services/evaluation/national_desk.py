"""The national recommendation as the evaluation application runs it: a call opened
on a closed round's grades, candidates chosen among the eligible bases, the public
notice (the notice desk concludes it into the call, not into provincial statuses), the
list submitted, and each base's national outcome. See ``national.py`` for why this is
a dimension of a base's record apart from its provincial status.

An application mixin of ``EvaluationApplication``.
"""

from datetime import date
from uuid import UUID

from services.backbone.eventstore.views import View
from services.backbone.kernel.context import Context
from services.backbone.kernel.errors import Conflict, NotFound, RuleViolation, field_error

from .domain import Round
from .national import NationalCall, eligible_bases
from .notices import Notice
from .policy import BEIJING
from .views import Calendar, Standings


class NationalCalls(View):
    """Every call's id by year, and the call each national notice belongs to."""

    def __init__(self):
        self.reset()

    def reset(self) -> None:
        self.by_year: dict[int, UUID] = {}
        self.by_notice: dict[UUID, UUID] = {}

    def apply(self, event) -> None:
        if isinstance(event, NationalCall.Opened):
            self.by_year[event.year] = event.originator_id
        elif isinstance(event, NationalCall.PutUnderNotice):
            self.by_notice[event.notice_id] = event.originator_id


class NationalDesk:
    """Mixin: national calls, from opening to outcomes."""

    def open_national_call(self, *, year: int, quota: int, ctx: Context,
                           minimum_grade: str = "excellent",
                           round_id: UUID | None = None) -> NationalCall:
        """Opens the year's call on a closed round's grades (by default the round that
        closed last): the bases it graded ``minimum_grade`` or better are eligible."""
        if year in self.views[NationalCalls].by_year:
            raise field_error("year", f"the {year} national call is already open", Conflict)
        evaluation = self._call_round(round_id)
        call = NationalCall(year=year, quota=quota, minimum_grade=minimum_grade,
                            round_id=evaluation.id, round_name=evaluation.name,
                            opened_at=self.clock(), ctx=ctx)
        return self._save_new(call, "year", f"the {year} national call is already open")

    def national_eligible(self, call_id: UUID) -> list[dict]:
        """The bases the call may still choose, best score first, with their grade."""
        call = self.require(call_id, NationalCall, "national call")
        return self._eligible(call)

    def choose_national_candidates(self, call_id: UUID, *, candidates: list[dict],
                                   ctx: Context) -> NationalCall:
        """The DRC's candidates, each with its reason, among the eligible bases."""
        call = self.require(call_id, NationalCall, "national call")
        call.choose(chosen=candidates, eligible=self._eligible(call), at=self.clock(), ctx=ctx)
        self.save(call)
        return call

    def publish_national_notice(self, call_id: UUID, *, title: str, working_days: int,
                                contact: str, ctx: Context, starts_on: date | None = None) -> NationalCall:
        """Puts the call's candidates under public notice; the notice and the call are
        saved together, so a concluding notice always finds its call."""
        call = self.require(call_id, NationalCall, "national call")
        call.require_stage("chosen", "a public notice")
        notice, deadline = self.notice_to_publish(
            title=title, purpose="national_recommendation", working_days=working_days,
            base_ids=[row["base_id"] for row in call.candidates], contact=contact, ctx=ctx,
            starts_on=starts_on)
        if notice.id in self.repository:
            raise field_error("title", f"a notice titled {title} already exists", Conflict)
        call.put_under_notice(notice.id, ctx=ctx)
        self.save(call, notice, deadline)
        return call

    def submit_national(self, call_id: UUID, *, document_number: str, submitted_on: date,
                        ctx: Context) -> NationalCall:
        """Submits the candidates the notice left standing, by the DRC's document."""
        call = self.require(call_id, NationalCall, "national call")
        if submitted_on > self.clock().astimezone(BEIJING).date():
            raise field_error("submitted_on", "a submission is recorded once it is made")
        call.submit(document_number=document_number, submitted_on=submitted_on, at=self.clock(),
                    ctx=ctx)
        self.save(call)
        return call

    def record_national_outcome(self, call_id: UUID, *, base_id: UUID, selected: bool,
                                effective_on: date, reason: str, ctx: Context,
                                document_number: str | None = None) -> NationalCall:
        """The national authorities' decision on a submitted base."""
        call = self.require(call_id, NationalCall, "national call")
        call.record_outcome(base_id=base_id, selected=selected, document_number=document_number,
                            effective_on=effective_on, reason=reason, at=self.clock(), ctx=ctx)
        self.save(call)
        return call

    # -- reads ---------------------------------------------------------------------------

    def national_call(self, call_id: UUID) -> dict:
        call = self.find(call_id, NationalCall)
        if call is None:
            raise NotFound(f"No national call {call_id}.")
        eligible = self._eligible(call) if call.stage == "open" else []
        return {**call.summary(), "eligible": eligible}

    def national_calls(self) -> list[dict]:
        calls = self.views[NationalCalls].by_year
        return [self.repository.get(calls[year]).summary() for year in sorted(calls)]

    def call_under_notice(self, notice: Notice) -> NationalCall | None:
        """The national call a notice belongs to (None: not a call's notice)."""
        call_id = self.views[NationalCalls].by_notice.get(notice.id)
        return None if call_id is None else self.repository.get(call_id)

    # -- helpers -------------------------------------------------------------------------

    def _call_round(self, round_id: UUID | None) -> Round:
        if round_id is None:
            closed = [r for r in self.views[Calendar].all_rounds() if r.get("closed_at")]
            if not closed:
                raise RuleViolation("No evaluation round has closed: a national call chooses "
                                    "on a round's grades.")
            round_id = max(closed, key=lambda r: r["closed_at"])["round_id"]
        evaluation = self.require(round_id, Round, "round", field="round_id")
        if not evaluation.closed:
            raise field_error("round_id", f"round {evaluation.name} has not closed: it has no grades")
        return evaluation

    def _eligible(self, call: NationalCall) -> list[dict]:
        evaluation = self.repository.get(call.round_id)
        standings = self.views[Standings]
        rows = {row["base_id"]: standings.row(row["base_id"]) for row in evaluation.grades}
        grades = [{**row, "name": rows[row["base_id"]]["name"]} for row in evaluation.grades]
        return eligible_bases(
            grades, minimum_grade=call.minimum_grade,
            statuses={b: row["status"] for b, row in rows.items()},
            national={b: row["national"] for b, row in rows.items()})
