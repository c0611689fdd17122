"""The evaluation service's aggregates: batches, bases, evaluators, assessments and
evaluation rounds. Pure, no I/O.

The registry records a base's status; this service decides it. A ``Batch`` is a
declaration window with a quota; declared ``Base``s join it; ``Evaluator``s are assigned
to a base's ``Assessment`` on an occasion (its selection in a batch, or an evaluation
``Round``) and score it against the rubric of its kind; the DRC certifies the top of the
batch; rounds grade the bases in good standing, and an adjustment policy turns grades
into decisions. Every decision is an event of the ``Base``; its status is derived from
them in order of effective date (``effective.status_in_effect``).

Each public method checks its rule, then records one event through a private ``@event``
method, whose body is the state change only (it also runs on replay).
"""

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.backbone.kernel.context import Actor, Context, stable_id
from services.backbone.kernel.errors import Conflict, Forbidden, RuleViolation, field_error
from services.contracts.text import comparison_key
from services.contracts.vocabulary import ACTIVE_STATUSES, normalise_city

from .conflicts import conflict_of_interest, plain_name
from .effective import deadline_in_effect, status_before, status_in_effect
from .metrics import check_metric_values, check_period_begun
from .policy import BEIJING, Decision, chinese_date, may_follow
from .rubric import Rubric


class Evaluator(Aggregate):
    """An expert or third-party evaluation body (专家 / 第三方评估机构) registered by the
    DRC. Its id is the ``actor_id`` of its tokens."""

    @staticmethod
    def create_id(name: str, organisation: str, **_: Any) -> UUID:
        return stable_id("evaluator", plain_name(name), plain_name(organisation))

    @event("Registered")
    def __init__(self, name: str, organisation: str, region: dict | None, ctx: Context):
        self.name = name
        self.organisation = organisation
        self.region = region
        self.conflicts: list[dict] = []

    def declare_conflict(self, *, base_id: UUID | None, unit: str | None, reason: str,
                         ctx: Context) -> None:
        """The evaluator says it may not judge a base, or any base of a unit, and why."""
        if (base_id is None) == (unit is None):
            raise field_error("base_id", "name either a base_id or a unit")
        if self.declared_conflict(base_id, unit) is not None:
            raise field_error("base_id" if base_id else "unit",
                              "this conflict of interest is already declared", Conflict)
        self._conflict_declared(base_id=base_id, unit=unit, reason=reason, ctx=ctx)

    def declared_conflict(self, base_id: UUID | None, unit: str | None) -> dict | None:
        """The conflict this evaluator declared with the base, or with its unit."""
        for conflict in self.conflicts:
            if base_id is not None and conflict["base_id"] == base_id:
                return conflict
            if unit and conflict["unit"] and comparison_key(conflict["unit"]) == comparison_key(unit):
                return conflict
        return None

    @event("ConflictDeclared")
    def _conflict_declared(self, base_id: UUID | None, unit: str | None, reason: str,
                           ctx: Context) -> None:
        self.conflicts.append({"base_id": base_id, "unit": unit, "reason": reason})

    def shares_region_with(self, region: dict) -> bool:
        """Conflict of interest: same region means the same city (设区市). Counties of
        one city answer to the same city government, so a county line is too thin.
        Names compare normalised: a region logged before cities were checked may say
        "太原" or "太原市 " for 太原市. A body from outside the province (no region) has
        no city of its own here."""
        if self.region is None:
            return False
        return normalise_city(self.region["city"]) == normalise_city(region["city"])


class Batch(Aggregate):
    """A declaration batch (申报批次): its window, its quota, the rubric each kind is
    scored on, and once selection is concluded, who was certified."""

    occasion = "selection"

    @staticmethod
    def create_id(name: str, **_: Any) -> UUID:
        return stable_id("batch", plain_name(name))

    @event("Opened")
    def __init__(self, name: str, opens_at: datetime, closes_at: datetime, quota: int,
                 rubrics: dict, ctx: Context, city_recommendation: bool = False):
        self.city_recommendation = city_recommendation  # cities recommend before selection
        self.name = name
        self.opens_at = opens_at
        self.closes_at = closes_at
        self.quota = quota
        self.rubrics = rubrics
        self.closed = False
        self.closed_at: datetime | None = None
        self.certified: list[UUID] | None = None
        self.certification_reason = ""
        self.joined = 0  # declarations recorded as joining (none in batches from before)

    @classmethod
    def open(cls, *, name: str, opens_at: datetime, closes_at: datetime, quota: int,
             rubrics: dict, ctx: Context, city_recommendation: bool = False) -> "Batch":
        """Opens a batch; the window must be timezone-aware and ordered."""
        for field, moment in (("opens_at", opens_at), ("closes_at", closes_at)):
            if moment.tzinfo is None or moment.utcoffset() is None:
                raise field_error(field, "a time must carry its timezone")
        if closes_at <= opens_at:
            raise field_error("closes_at", "the window closes after it opens")
        if not 1 <= quota <= 1000:
            raise field_error("quota", "the quota is between 1 and 1000")
        return cls(name=name, opens_at=opens_at, closes_at=closes_at, quota=quota,
                   rubrics=rubrics, ctx=ctx, city_recommendation=city_recommendation)

    @property
    def concluded(self) -> bool:
        return self.certified is not None

    def close(self, at: datetime, ctx: Context) -> None:
        """Closes the batch to declarations at ``at`` (the registry refuses them once it
        learns of it from BatchClosed; until then it may still accept some)."""
        if self.closed:
            raise Conflict(f"Batch {self.name} is already closed.")
        self._closed(closed_at=at, ctx=ctx)

    @event("Closed")
    def _closed(self, ctx: Context, closed_at: datetime | None = None) -> None:
        self.closed = True
        self.closed_at = closed_at  # None for batches closed before the time was recorded

    def refusal(self, declared_at: datetime) -> str | None:
        """Why a declaration made at ``declared_at`` does not join the batch (None if it
        does): it was made after the batch closed (the registry accepted it before it
        learned of the closing), or it arrived after selection was concluded."""
        if self.closed_at is not None and declared_at > self.closed_at:
            closing = self.closed_at.astimezone(BEIJING)
            return (f"申报时批次已截止：{self.name}已于{chinese_date(closing)} {closing:%H:%M}"
                    "截止申报，该申报晚于截止时间，未参加本批评选")
        if self.concluded:
            return f"申报送达时{self.name}评选认定已结束，未参加本批评选"
        return None

    def join(self, base_id: UUID, ctx: Context) -> None:
        """Records a declaration joining the batch. The batch's version then moves with
        every declaration, so a declaration and a certification saved against the same
        version cannot both succeed: the one that did not see the other conflicts and is
        decided again, instead of leaving a base declared in a concluded batch for ever."""
        if self.concluded:
            raise Conflict(f"The selection of batch {self.name} is concluded.")
        self._joined(base_id=base_id, ctx=ctx)

    @event("DeclarationJoined")
    def _joined(self, base_id: UUID, ctx: Context) -> None:
        self.joined += 1

    def includes(self, base: "Base") -> bool:
        return base.batch_id == self.id

    def evaluates(self, base: "Base") -> bool:
        """A declaration of this batch still awaiting selection."""
        return self.includes(base) and base.status == "declared"

    def check_scoring_open(self) -> None:
        if self.concluded:
            raise RuleViolation(f"The selection of batch {self.name} is concluded.")

    def conclude(self, *, certified: list[UUID], not_selected: list[UUID], ctx: Context,
                 reason: str = "") -> None:
        """Records the end of selection: the bases certified within the quota, and the
        DRC's reason when it chose otherwise than the ranking would."""
        if not self.closed:
            raise RuleViolation(f"Close batch {self.name} to declarations before certifying.")
        if self.concluded:
            raise Conflict(f"Batch {self.name} has already been certified.")
        if len(certified) > self.quota:
            raise field_error("base_ids", f"the quota of batch {self.name} is {self.quota}")
        if len(certified) + len(not_selected) < self.joined:  # a decision for every one
            raise Conflict(f"Declarations of batch {self.name} are still being recorded; try again.")
        self._concluded(certified=certified, not_selected=not_selected, reason=reason, ctx=ctx)

    @event("SelectionConcluded")
    def _concluded(self, certified: list[UUID], not_selected: list[UUID], ctx: Context,
                   reason: str = "") -> None:
        self.certified = list(certified)
        self.certification_reason = reason


class Base(Aggregate):
    """A declared base as evaluation knows it: the facts that rubrics and conflicts of
    interest need, the decisions taken on it, and the metrics it reports."""

    @staticmethod
    def create_id(base_id: UUID, **_: Any) -> UUID:
        return base_id  # the registry's id: both services speak of the same base

    @event("DeclarationReceived")
    def __init__(self, base_id: UUID, name: str, kind: str, region: dict,
                 competent_department: str, batch_id: UUID, declared_by: UUID, ctx: Context):
        self.name = name
        self.kind = kind
        self.region = region
        self.competent_department = competent_department
        self.batch_id = batch_id
        self.declared_by = declared_by
        self.decisions: list[Decision] = []
        self.reports: dict[str, list[dict]] = {}

    @property
    def status(self) -> str:
        """What the decisions lead to in order of effective date (``effective.py``)."""
        return status_in_effect(self.decisions)

    @property
    def rectification_deadline(self) -> datetime | None:
        return deadline_in_effect(self.decisions)

    def is_represented_by(self, actor: Actor) -> bool:
        """The applicant that declared the base, or one whose token names the base."""
        return actor.represents(self.id, self.declared_by)

    # -- decisions ---------------------------------------------------------------------------

    def adjust(self, decision: Decision, ctx: Context) -> None:
        """Records a decision; it must start from the status the base is in on its
        effective date (now, for a decision not dated before others)."""
        before = status_before(self.decisions, decision)
        if decision.from_status != before or not may_follow(before, decision.to_status):
            when = f" on {decision.effective_on}" if decision.effective_on else ""
            raise Conflict(f"{self.name} is {before}{when}; a decision {decision.from_status} -> "
                           f"{decision.to_status} does not apply.")
        after = status_in_effect([*self.decisions, decision])
        self._adjusted(**decision.as_dict(), status_after=after, ctx=ctx)

    @event("Adjusted")
    def _adjusted(self, from_status: str, to_status: str, reason: str, basis: str,
                  batch_id: UUID | None, round_id: UUID | None, score: Decimal | None,
                  grade: str | None, rubric_version: str | None, policy_version: str | None,
                  rectification_deadline: datetime | None, ctx: Context,
                  decided_at: datetime | None = None, effective_on: date | None = None,
                  document_number: str | None = None, document: dict | None = None,
                  status_after: str | None = None) -> None:
        # effective_on, document_number, document, status_after: absent from decisions
        # recorded before 2026 (None: effective when decided, unpublished, the last word)
        self.decisions.append(Decision(
            from_status=from_status, to_status=to_status, reason=reason, basis=basis,
            batch_id=batch_id, round_id=round_id, score=score, grade=grade,
            rubric_version=rubric_version, policy_version=policy_version,
            rectification_deadline=rectification_deadline, decided_at=decided_at,
            effective_on=effective_on, document_number=document_number, document=document))

    def publish_decision(self, *, number: int, document_number: str, document: dict,
                         ctx: Context) -> Decision:
        """Publishes a decision taken as proposed (without its 文号): its document number
        and document, once. ``number`` counts the base's decisions from 1, as recorded."""
        if not 1 <= number <= len(self.decisions):
            raise field_error("number", f"{self.name} has {len(self.decisions)} decisions")
        if self.decisions[number - 1].document_number is not None:
            raise field_error("number", "this decision is already published", Conflict)
        self._decision_published(number=number, document_number=document_number,
                                 document=document, ctx=ctx)
        return self.decisions[number - 1]

    @event("DecisionPublished")
    def _decision_published(self, number: int, document_number: str, document: dict,
                            ctx: Context) -> None:
        self.decisions[number - 1] = replace(self.decisions[number - 1],
                                             document_number=document_number, document=document)

    # -- metrics ---------------------------------------------------------------------------------

    def report_metrics(self, *, period: str, values: dict, correction: bool, note: str,
                       actor: Actor, now: datetime, ctx: Context) -> int:
        """Reports the metrics of a half-year; a period already reported changes only by
        an explicit correction, which says why. Returns the report's revision."""
        if not self.is_represented_by(actor):
            raise Forbidden("Only the base's own applicant reports its metrics.")
        if self.status not in ACTIVE_STATUSES:
            raise RuleViolation(f"{self.name} is {self.status}; only demonstration bases report metrics.")
        check_period_begun(period, now)
        check_metric_values(values)
        previous = self.reports.get(period, [])
        if previous and not correction:
            raise field_error("period", f"{period} is already reported; send correction: true "
                                        "with a note to correct it", Conflict)
        if correction and not previous:
            raise field_error("correction", f"nothing was reported for {period} to correct")
        if correction and not note.strip():
            raise field_error("note", "a correction says why the figures changed")
        self._metrics_reported(period=period, values=values, correction=correction, note=note, ctx=ctx)
        return len(previous) + 1

    @event("MetricsReported")
    def _metrics_reported(self, period: str, values: dict, correction: bool, note: str,
                          ctx: Context) -> None:
        self.reports.setdefault(period, []).append(
            {"values": values, "correction": correction, "note": note})


class Assessment(Aggregate):
    """The scoring of one base on one occasion (its selection in a batch, or an
    evaluation round) by the evaluators assigned to it."""

    @staticmethod
    def create_id(occasion_id: UUID, base_id: UUID, **_: Any) -> UUID:
        return stable_id("assessment", occasion_id, base_id)

    @event("Opened")
    def __init__(self, occasion_id: UUID, occasion: str, base_id: UUID, region: dict,
                 rubric_version: str, ctx: Context):
        self.occasion_id = occasion_id
        self.occasion = occasion
        self.base_id = base_id
        self.region = region
        self.rubric_version = rubric_version
        self.evaluators: list[UUID] = []
        self.weighted: dict[UUID, Decimal] = {}

    def assign(self, evaluator: Evaluator, base: Base, ctx: Context) -> None:
        """Assigns an evaluator, unless it has a conflict of interest with the base."""
        conflict = conflict_of_interest(evaluator, base)
        if conflict is not None:
            raise field_error("evaluator_id", conflict)
        if evaluator.id in self.evaluators:
            raise field_error("evaluator_id", f"{evaluator.name} is already assigned", Conflict)
        self._evaluator_assigned(evaluator_id=evaluator.id, ctx=ctx)

    @event("EvaluatorAssigned")
    def _evaluator_assigned(self, evaluator_id: UUID, ctx: Context) -> None:
        self.evaluators.append(evaluator_id)

    def score(self, *, evaluator_id: UUID, rubric: Rubric, scores: dict, comment: str,
              ctx: Context) -> Decimal:
        """Records an assigned evaluator's score sheet; returns its weighted score."""
        if evaluator_id not in self.evaluators:
            raise Forbidden("An evaluator scores only the bases it is assigned to.")
        if evaluator_id in self.weighted:
            raise Conflict("This evaluator has already scored this base on this occasion.")
        if rubric.version != self.rubric_version:
            raise field_error("rubric_version", f"this base is scored on {self.rubric_version}")
        weighted = rubric.weighted(scores)
        self._scored(evaluator_id=evaluator_id, scores=scores, weighted=weighted,
                     comment=comment, ctx=ctx)
        return weighted

    @event("Scored")
    def _scored(self, evaluator_id: UUID, scores: dict, weighted: Decimal, comment: str,
                ctx: Context) -> None:
        self.weighted[evaluator_id] = weighted


class Round(Aggregate):
    """An evaluation round (督促检查 or 第三方评估) of the bases in good standing when it
    opened; closing it grades each base and records the policy version applied."""

    occasion = "round"

    @staticmethod
    def create_id(name: str, **_: Any) -> UUID:
        return stable_id("round", plain_name(name))

    @event("Opened")
    def __init__(self, kind: str, name: str, period: str, bases: list[dict], rubrics: dict,
                 ctx: Context):
        self.kind = kind
        self.name = name
        self.period = period
        self.bases = bases
        self.rubrics = rubrics
        self.grades: list[dict] | None = None
        self.withdrawn: list[dict] = []
        self.policy_version: str | None = None
        self.policy_reason: str | None = None
        self.closed_at: datetime | None = None

    @property
    def closed(self) -> bool:
        return self.closed_at is not None

    @property
    def base_ids(self) -> list[UUID]:
        return [b["base_id"] for b in self.bases]

    def includes(self, base: Base) -> bool:
        return base.id in self.base_ids

    def evaluates(self, base: Base) -> bool:
        """A base of the round that is still a demonstration base: one revoked since the
        round opened is no longer evaluated in it."""
        return self.includes(base) and base.status in ACTIVE_STATUSES

    def status_at_opening(self, base_id: UUID) -> str:
        """The base's status when the round opened (what its rectification rules see)."""
        return next(b["status"] for b in self.bases if b["base_id"] == base_id)

    def check_scoring_open(self) -> None:
        if self.closed:
            raise RuleViolation(f"Round {self.name} is closed.")

    def close(self, *, grades: list[dict], withdrawn: list[dict], policy_version: str,
              at: datetime, ctx: Context, policy_reason: str = "") -> None:
        """Closes the round with, for every base in it, a grade, or the reason it was
        withdrawn (no longer a demonstration base when the round closed)."""
        if self.closed:
            raise Conflict(f"Round {self.name} is already closed.")
        accounted = sorted(str(row["base_id"]) for row in [*grades, *withdrawn])
        if sorted(map(str, self.base_ids)) != accounted:
            raise RuleViolation(f"Round {self.name} closes with a grade or a withdrawal for "
                                "each of its bases.")
        # kind, name and period again: the published RoundClosed stands on its own
        self._closed(kind=self.kind, name=self.name, period=self.period, grades=grades,
                     withdrawn=withdrawn, policy_version=policy_version,
                     policy_reason=policy_reason or None, closed_at=at, ctx=ctx)

    @event("Closed")
    def _closed(self, kind: str, name: str, period: str, grades: list[dict],
                policy_version: str, closed_at: datetime, ctx: Context,
                withdrawn: list[dict] | None = None, policy_reason: str | None = None) -> None:
        self.grades = grades
        self.withdrawn = withdrawn or []  # rounds closed before withdrawals were recorded: none
        self.policy_version = policy_version
        self.policy_reason = policy_reason  # why the DRC chose the policy, when it said
        self.closed_at = closed_at
