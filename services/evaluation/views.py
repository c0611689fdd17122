"""The evaluation service's read models, folded from its log (rebuildable from 0).

Rankings are a view, not a stored table: folding the same log always gives the same
ranking, with the same tie-breaks, which is what makes a certification auditable.
"""

from dataclasses import replace
from datetime import date, datetime
from uuid import UUID

from services.backbone.eventstore.views import View
from services.contracts.text import comparison_key
from services.contracts.vocabulary import ACTIVE_STATUSES, normalise_city

from .conflicts import evaluator_key
from .domain import Assessment, Base, Batch, Evaluator, Round
from .national import NationalCall, national_dimension
from .effective import deadline_in_effect, effective_day, place, status_in_effect
from .policy import BEIJING, Decision, open_rectification
from .ranking import Entry, rank


class Calendar(View):
    """Declaration batches and evaluation rounds."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.batches: dict[UUID, dict] = {}
        self.rounds: dict[UUID, dict] = {}

    def apply(self, event):
        if isinstance(event, Batch.Opened):
            self.batches[event.originator_id] = {
                "batch_id": event.originator_id, "name": event.name, "opens_at": event.opens_at,
                "closes_at": event.closes_at, "quota": event.quota, "rubrics": event.rubrics,
                "closed": False, "closed_at": None, "certified": None,
                "city_recommendation": getattr(event, "city_recommendation", False)}
        elif isinstance(event, Batch.Closed):
            self.batches[event.originator_id].update(closed=True,
                                                     closed_at=getattr(event, "closed_at", None))
        elif isinstance(event, Batch.SelectionConcluded):
            self.batches[event.originator_id]["certified"] = list(event.certified)
        elif isinstance(event, Round.Opened):
            self.rounds[event.originator_id] = {
                "round_id": event.originator_id, "kind": event.kind, "name": event.name,
                "period": event.period, "rubrics": event.rubrics, "bases": len(event.bases),
                "opened_at": event.timestamp, "closed_at": None, "policy_version": None,
                "policy_reason": None}
        elif isinstance(event, Round.Closed):
            self.rounds[event.originator_id].update(
                closed_at=event.closed_at, policy_version=event.policy_version,
                policy_reason=getattr(event, "policy_reason", None))

    def batch_named(self, name: str) -> UUID | None:
        """The batch whose name has this one's comparison key, if any."""
        return _named(self.batches, name)

    def round_named(self, name: str) -> UUID | None:
        return _named(self.rounds, name)

    def all_batches(self) -> list[dict]:
        return sorted((dict(b) for b in self.batches.values()), key=lambda b: b["opens_at"])

    def all_rounds(self) -> list[dict]:
        return sorted((dict(r) for r in self.rounds.values()), key=lambda r: r["opened_at"])


def _day(moment: datetime) -> date:
    return moment.astimezone(BEIJING).date()


def _named(rows: dict[UUID, dict], name: str) -> UUID | None:
    key = comparison_key(name)
    return next((row_id for row_id, row in rows.items() if comparison_key(row["name"]) == key), None)


class Scoreboard(View):
    """Every base on every occasion (batch or round) with its evaluators and their
    weighted scores, in the order the log received them."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.occasions: dict[UUID, dict[UUID, Entry]] = {}
        self.assessments: dict[UUID, Entry] = {}
        self.rubrics: dict[UUID, dict] = {}
        self.counter = 0

    def _enter(self, occasion_id: UUID, base_id: UUID, name: str, kind: str) -> None:
        self.counter += 1
        self.occasions.setdefault(occasion_id, {})[base_id] = Entry(
            base_id, name, kind, self.counter, rubric_version=self.rubrics[occasion_id].get(kind))

    def apply(self, event):
        if isinstance(event, Batch.Opened):
            self.rubrics[event.originator_id] = event.rubrics
        elif isinstance(event, Base.DeclarationReceived):
            self._enter(event.batch_id, event.originator_id, event.name, event.kind)
        elif isinstance(event, Round.Opened):
            self.rubrics[event.originator_id] = event.rubrics
            for base in event.bases:
                self._enter(event.originator_id, base["base_id"], base["name"], base["kind"])
        elif isinstance(event, Assessment.Opened):
            self.assessments[event.originator_id] = self.occasions[event.occasion_id][event.base_id]
        elif isinstance(event, Assessment.EvaluatorAssigned):
            self.assessments[event.originator_id].evaluators.append(event.evaluator_id)
        elif isinstance(event, Assessment.Scored):
            self.assessments[event.originator_id].weighted[event.evaluator_id] = event.weighted

    def entries(self, occasion_id: UUID) -> list[Entry]:
        return list(self.occasions.get(occasion_id, {}).values())

    def entry(self, occasion_id: UUID, base_id: UUID) -> Entry | None:
        return self.occasions.get(occasion_id, {}).get(base_id)

    def ranking(self, occasion_id: UUID) -> list[dict]:
        return rank(self.entries(occasion_id))

    def of_base(self, base_id: UUID) -> list[tuple[UUID, Entry]]:
        """The occasions a base was (or is being) scored on, with its entry."""
        return [(oid, entries[base_id]) for oid, entries in self.occasions.items() if base_id in entries]


class Standings(View):
    """Every base: its facts, its decisions (status derived from them) and its metrics."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.rows: dict[UUID, dict] = {}

    def apply(self, event):
        if isinstance(event, Base.DeclarationReceived):
            self.rows[event.originator_id] = {
                "base_id": event.originator_id, "name": event.name, "kind": event.kind,
                "region": event.region, "competent_department": event.competent_department,
                "batch_id": event.batch_id, "declared_by": event.declared_by,
                "declared_at": event.timestamp, "history": [], "decisions": [], "reports": {},
                "national": None}
        elif isinstance(event, Base.Adjusted):
            row = self.rows[event.originator_id]
            decision = Decision(**{k: getattr(event, k, None) for k in Decision.__dataclass_fields__})
            row["history"].append(decision)
            row["decisions"].append({**decision.as_dict(), "base_id": row["base_id"],
                                     "name": row["name"], "decided_at": event.timestamp,
                                     "entered_at": event.timestamp,
                                     "effective_on": effective_day(decision) or _day(event.timestamp),
                                     "decided_by": event.ctx.as_dict()})
        elif isinstance(event, Base.DecisionPublished):
            row = self.rows[event.originator_id]
            index = event.number - 1
            row["history"][index] = replace(row["history"][index], document_number=event.document_number,
                                            document=event.document)
            row["decisions"][index] = {**row["decisions"][index], "document_number": event.document_number,
                                       "document": event.document, "published_at": event.timestamp}
        elif isinstance(event, NationalCall.Event):  # a dimension apart from the status
            national_dimension(self.rows, event)
        elif isinstance(event, Base.MetricsReported):
            self.rows[event.originator_id]["reports"].setdefault(event.period, []).append({
                "period": event.period, "values": event.values, "correction": event.correction,
                "note": event.note, "reported_at": event.timestamp,
                "reported_by": event.ctx.as_dict()})

    def row(self, base_id: UUID) -> dict | None:
        row = self.rows.get(base_id)
        if row is None:
            return None
        return {**row, "national": row.get("national"), "status": status_in_effect(row["history"]),
                "rectification_deadline": deadline_in_effect(row["history"])}

    def status_on(self, base_id: UUID, day: date) -> str | None:
        """The base's status on a Beijing date, from the decisions effective by then
        (None: neither declared nor decided by then)."""
        row = self.rows.get(base_id)
        if row is None:
            return None
        status = status_in_effect(row["history"], on=day)
        if status == "declared" and _day(row["declared_at"]) > day:
            return None  # neither declared nor decided by then (a base of record may be entered late)
        return status

    def timeline(self, base_id: UUID) -> list[dict]:
        """A base's decisions in order of effective date, each with the status it found
        there and whether it still applies (one dated after a decision entered later
        may no longer)."""
        row = self.rows[base_id]
        return [{**row["decisions"][placed.position], "status_before": placed.status_before,
                 "in_effect": placed.applies}
                for placed in place(row["history"])]

    def select(self, *, status=None, batch_id=None, kind=None, city=None, county=None,
               competent_department=None) -> list[dict]:
        rows = (self.row(base_id) for base_id in self.rows)
        department = competent_department and comparison_key(competent_department)
        return [row for row in rows
                if (status is None or row["status"] == status)
                and (batch_id is None or row["batch_id"] == batch_id)
                and (kind is None or row["kind"] == kind)
                and (city is None or normalise_city(row["region"]["city"]) == city)
                and (county is None or row["region"]["county"] == county)
                and (department is None or comparison_key(row["competent_department"]) == department)]

    def in_good_standing(self) -> list[dict]:
        return [row for row in self.select() if row["status"] in ACTIVE_STATUSES]

    def overdue(self, now: datetime) -> list[dict]:
        """Warned bases whose rectification deadline has passed."""
        return [row for row in self.select(status="warned") if row["rectification_deadline"] < now]

    def deadline_before(self, base_id: UUID, round_id: UUID) -> datetime | None:
        """The rectification deadline the base had when the round decided on it."""
        history = self.rows[base_id]["history"]
        index = next(i for i, d in enumerate(history)
                     if d.round_id == round_id and d.basis == "evaluation")
        return open_rectification(history[:index])

    def decisions(self, *, base_id=None, batch_id=None, round_id=None) -> list[dict]:
        rows = [self.rows[base_id]] if base_id in self.rows else (
            [] if base_id else self.rows.values())
        return sorted((d for row in rows for d in self.timeline(row["base_id"])
                       if (batch_id is None or d["batch_id"] == batch_id)
                       and (round_id is None or d["round_id"] == round_id)),
                      key=lambda d: (d["effective_on"], d["entered_at"]))


class EvaluatorDirectory(View):
    """Registered evaluators and what each is assigned to score."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.evaluators: dict[UUID, dict] = {}
        self.assessments: dict[UUID, dict] = {}
        self.base_names: dict[UUID, str] = {}
        self.by_key: dict[str, UUID] = {}

    def apply(self, event):
        if isinstance(event, Evaluator.Registered):
            self.evaluators[event.originator_id] = {
                "evaluator_id": event.originator_id, "name": event.name,
                "organisation": event.organisation, "region": event.region,
                "registered_at": event.timestamp, "assignments": {}, "conflicts": []}
            self.by_key.setdefault(evaluator_key(event.name, event.organisation), event.originator_id)
        elif isinstance(event, Evaluator.ConflictDeclared):
            self.evaluators[event.originator_id]["conflicts"].append(
                {"base_id": event.base_id, "unit": event.unit, "reason": event.reason,
                 "declared_at": event.timestamp})
        elif isinstance(event, Base.DeclarationReceived):
            self.base_names[event.originator_id] = event.name
        elif isinstance(event, Assessment.Opened):
            self.assessments[event.originator_id] = {
                "occasion": event.occasion, "occasion_id": event.occasion_id,
                "base_id": event.base_id, "base_name": self.base_names.get(event.base_id, ""),
                "rubric_version": event.rubric_version}
        elif isinstance(event, Assessment.EvaluatorAssigned):
            assignments = self.evaluators[event.evaluator_id]["assignments"]
            assignments[event.originator_id] = {**self.assessments[event.originator_id],
                                                "evaluator_id": event.evaluator_id,
                                                "assigned_at": event.timestamp, "scored_at": None,
                                                "scores": None, "weighted": None, "comment": None}
        elif isinstance(event, Assessment.Scored):
            self.evaluators[event.evaluator_id]["assignments"][event.originator_id].update(
                scored_at=event.timestamp, scores=event.scores, weighted=event.weighted,
                comment=event.comment)

    def all(self) -> list[dict]:
        return sorted(({**e, "assignments": len(e["assignments"])} for e in self.evaluators.values()),
                      key=lambda e: e["registered_at"])

    def registered_as(self, name: str, organisation: str) -> UUID | None:
        """The evaluator already registered under this name and organisation's key."""
        return self.by_key.get(evaluator_key(name, organisation))

    def assignments(self, evaluator_id: UUID | None = None) -> list[dict]:
        evaluators = [self.evaluators[evaluator_id]] if evaluator_id in self.evaluators else (
            [] if evaluator_id else self.evaluators.values())
        return sorted((a for e in evaluators for a in e["assignments"].values()),
                      key=lambda a: a["assigned_at"])

    def assigned_to(self, evaluator_id: UUID, base_id: UUID) -> bool:
        return any(a["base_id"] == base_id for a in self.assignments(evaluator_id))
