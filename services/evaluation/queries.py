"""What the evaluation service answers, and to whom. Reads only: nothing here writes.

Overseers (the DRC, provincial departments, ops) read everything. An evaluator reads
its own assignments and the bases it is assigned to; an applicant reads its own base.
Individual score sheets are never shown to applicants: only the mean that decided.
"""

from uuid import UUID

from services.backbone.kernel.context import Actor
from services.backbone.kernel.errors import Forbidden, NotFound, RuleViolation

from .domain import Base, Round
from .policy import round_results
from .recompute import changes, recompute as recompute_history
from .views import Calendar, EvaluatorDirectory, Scoreboard, Standings

OVERSEERS = ("drc", "department", "ops")


class Queries:
    """Mixin of the evaluation application: its queries over the views."""

    def batches(self) -> list[dict]:
        return self.views[Calendar].all_batches()

    def batch(self, batch_id: UUID) -> dict:
        return self._calendar_entry("batches", batch_id, "batch")

    def ranking(self, batch_id: UUID) -> dict:
        """The batch's ranking as folded from the log, with each base's status now."""
        batch = self._calendar_entry("batches", batch_id, "batch")
        standings = self.views[Standings]
        rows = [{**row, "status": standings.row(row["base_id"])["status"]}
                for row in self.views[Scoreboard].ranking(batch_id)]
        return {**batch, "ranking": rows}

    def evaluators(self) -> list[dict]:
        return self.views[EvaluatorDirectory].all()

    def evaluator(self, evaluator_id: UUID) -> dict:
        return next(e for e in self.evaluators() if e["evaluator_id"] == evaluator_id)

    def assignments(self, actor: Actor, evaluator_id: UUID | None = None) -> list[dict]:
        """An evaluator's own assignments; overseers may ask for anyone's (or all)."""
        if actor.role == "evaluator":
            if evaluator_id not in (None, actor.id):
                raise Forbidden("An evaluator reads only its own assignments.")
            evaluator_id = actor.id
        return self.views[EvaluatorDirectory].assignments(evaluator_id)

    def score_sheets(self, actor: Actor, *, base_id=None, batch_id=None, round_id=None) -> list[dict]:
        """Score sheets given, for audit: an evaluator sees only its own."""
        occasion_id = batch_id or round_id
        return [sheet for sheet in self.assignments(actor)
                if sheet["scored_at"] is not None
                and (base_id is None or sheet["base_id"] == base_id)
                and (occasion_id is None or sheet["occasion_id"] == occasion_id)]

    def list_bases(self, **filters) -> list[dict]:
        return [summary(row) for row in self.views[Standings].select(**filters)]

    def get_base(self, base_id: UUID, actor: Actor) -> dict:
        """A base's status, decisions, metrics and the scores that decided."""
        row = self._readable_base(base_id, actor)
        calendar, board = self.views[Calendar], self.views[Scoreboard]
        assessments = [{"occasion": "selection" if oid in calendar.batches else "round",
                        "occasion_id": oid, "rubric_version": entry.rubric_version,
                        "evaluators": len(entry.evaluators), "scored_by": len(entry.weighted),
                        "score": entry.score}
                       for oid, entry in board.of_base(base_id)]
        return {**summary(row), "declared_by": row["declared_by"], "decisions": row["decisions"],
                "metrics": metric_reports(row), "assessments": assessments,
                "annual_report": self.annual_report_for(base_id)}

    def base_metrics(self, base_id: UUID, actor: Actor) -> list[dict]:
        """A base's metrics per period: the figures in force and every revision."""
        return metric_reports(self._readable_base(base_id, actor))

    def decisions(self, actor: Actor, *, base_id=None, batch_id=None, round_id=None) -> list[dict]:
        """Decisions, oldest first; an applicant must name its own base."""
        if actor.role not in OVERSEERS:
            if base_id is None:
                raise Forbidden("Name your base: base_id.")
            self._readable_base(base_id, actor)
        return self.views[Standings].decisions(base_id=base_id, batch_id=batch_id, round_id=round_id)

    def rounds(self, kind: str | None = None) -> list[dict]:
        return [row for row in self.views[Calendar].all_rounds() if kind is None or row["kind"] == kind]

    def round(self, round_id: UUID) -> dict:
        """A round with each base: its status, scores, grade and metrics of the period."""
        header = self._calendar_entry("rounds", round_id, "round")
        evaluation = self.repository.get(round_id)
        grades = {g["base_id"]: g for g in evaluation.grades or ()}
        withdrawn = {w["base_id"]: w["reason"] for w in evaluation.withdrawn}
        board, standings = self.views[Scoreboard], self.views[Standings]
        bases = []
        for base in evaluation.bases:
            entry, row = board.entry(round_id, base["base_id"]), standings.row(base["base_id"])
            reports = row["reports"].get(evaluation.period, [])
            bases.append({
                "base_id": base["base_id"], "name": base["name"], "kind": base["kind"],
                "status_at_opening": base["status"], "status": row["status"],
                "rubric_version": entry.rubric_version, "evaluators": len(entry.evaluators),
                "scored_by": len(entry.weighted), "score": entry.score,
                "grade": grades.get(base["base_id"], {}).get("grade"),
                "withdrawn": withdrawn.get(base["base_id"]),
                "metrics": reports[-1]["values"] if reports else None,
                "metrics_revisions": len(reports),
                **self.figures_in_round(evaluation, base["base_id"], entry.rubric_version,
                                        entry.score)})
        return {**header, "bases": bases}

    def what_if(self, round_id: UUID, policy_version: str) -> dict:
        """The decisions another policy version would have taken on a closed round,
        from the same statuses and grades. Writes nothing."""
        evaluation = self.require(round_id, Round, "round")
        if not evaluation.closed:
            raise RuleViolation(f"Round {evaluation.name} is not closed: it has no decisions yet.")
        policy = self.catalogue.policy(policy_version)
        standings = self.views[Standings]
        taken = {d["base_id"]: d for d in standings.decisions(round_id=round_id)}
        rows = []
        results = policy.capped(round_results(round_id, evaluation.name, evaluation.grades))
        for grade in evaluation.grades:
            actual = taken.get(grade["base_id"])
            if actual is None:
                continue  # revoked before the round closed: no decision then, none now
            result = results[grade["base_id"]]
            proposed = policy.evaluate(
                actual["from_status"], result, evaluation.closed_at,
                opened_status=evaluation.status_at_opening(grade["base_id"]),
                deadline=standings.deadline_before(grade["base_id"], round_id))
            rows.append({"base_id": actual["base_id"], "name": actual["name"],
                         "grade": grade["grade"], "score": grade["score"],
                         "from_status": actual["from_status"], "actual": actual,
                         "proposed": proposed.as_dict(),
                         "changed": proposed.to_status != actual["to_status"]})
        return {"round_id": round_id, "applied_policy_version": evaluation.policy_version,
                "policy_version": policy.version, "decisions": rows}

    def recompute(self, policy_version: str) -> dict:
        """Every base's status as the whole history would have decided it under
        another policy version, beside its status of record. Writes nothing."""
        policy = self.catalogue.policy(policy_version)
        replays = recompute_history((event for _, event in self.all_events()), policy, self.clock())
        rows = changes(replays)
        return {"policy_version": policy.version, "bases": rows,
                "changed": [row for row in rows if row["changed"]]}

    def rubrics(self) -> list:
        return sorted(self.catalogue.rubrics.values(), key=lambda r: r.version)

    # -- helpers ---------------------------------------------------------------------------------

    def _readable_base(self, base_id: UUID, actor: Actor) -> dict:
        row = self.views[Standings].row(base_id)
        if row is None:
            raise NotFound(f"No base {base_id}.")
        if actor.role in OVERSEERS:
            return row
        if self.require(base_id, Base, "base").is_represented_by(actor):
            return row
        if actor.role == "evaluator" and self.views[EvaluatorDirectory].assigned_to(actor.id, base_id):
            return row
        raise Forbidden("This base is not yours to read.")

    def _calendar_entry(self, table: str, key: UUID, what: str) -> dict:
        entry = getattr(self.views[Calendar], table).get(key)
        if entry is None:
            raise NotFound(f"No {what} {key}.")
        return dict(entry)


def summary(row: dict) -> dict:
    keys = ("base_id", "name", "kind", "region", "competent_department", "batch_id",
            "status", "rectification_deadline", "declared_at", "national")
    return {key: row[key] for key in keys}


def metric_reports(row: dict) -> list[dict]:
    """Per period: the figures in force (the latest report) and every revision."""
    return [{"period": period, "values": reports[-1]["values"], "revisions": reports}
            for period, reports in sorted(row["reports"].items())]
