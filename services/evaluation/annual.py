"""A base's annual self-evaluations (年度自评) and the plan targets they are held to.
Pure, no I/O.

Each certified base reports once a year: a narrative per construction task of its
kind, the year's figures (``ANNUAL_INDICATORS``) and its supporting documents by
reference. A report for a year may be sent once the year has begun and revised until
``REVISION_DEADLINE`` of the next year; a revision is a new version that replaces the
one before, which stays in the log. The targets are those of the construction plan the
registry last filed (PlanFiled), so a report is compared with what was approved.
"""

from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.backbone.kernel.context import Actor, Context, stable_id
from services.backbone.kernel.errors import Forbidden, RuleViolation, field_error
from services.contracts.vocabulary import ACTIVE_STATUSES, CONSTRUCTION_TASKS

from .comparison import compare
from .policy import BEIJING

REVISION_DEADLINE = (3, 31)  # month, day of the following year, end of day in Beijing


def check_year_open(year: int, now: datetime) -> None:
    """A year is reported once it has begun and revised until 31 March after it."""
    today = now.astimezone(BEIJING).date()
    if date(year, 1, 1) > today:
        raise field_error("year", f"{year} has not begun yet")
    if today > date(year + 1, *REVISION_DEADLINE):
        raise field_error("year", f"the self-evaluation of {year} closed on "
                                  f"{date(year + 1, *REVISION_DEADLINE).isoformat()}")


def check_narratives(kind: str, narratives: dict) -> None:
    """A narrative for each construction task of the base's kind, and nothing else."""
    expected = CONSTRUCTION_TASKS[kind]
    errors = {code: ["Missing: a narrative of this construction task."]
              for code in expected if code not in narratives}
    errors.update({code: [f"Not a construction task of a {kind} base."]
                   for code in narratives if code not in expected})
    if errors:
        raise RuleViolation("The narratives must cover the construction tasks of the base's kind.",
                            fields={"narratives": errors})


class AnnualReporting(Aggregate):
    """The annual self-evaluations of one base, every version, and the targets of its
    filed plan."""

    @staticmethod
    def create_id(base_id: UUID, **_: Any) -> UUID:
        return stable_id("annual-reporting", base_id)

    @event("Opened")
    def __init__(self, base_id: UUID, ctx: Context):
        self.base_id = base_id
        self.plan_version: int | None = None
        self.targets: list[dict] = []
        self.reports: dict[int, list[dict]] = {}

    def record_plan(self, *, plan_version: int, targets: list[dict], ctx: Context) -> None:
        """The targets of the plan version the registry filed (the latest one counts)."""
        self._plan_recorded(base_id=self.base_id, plan_version=plan_version, targets=targets,
                            ctx=ctx)

    @event("PlanTargetsRecorded")
    def _plan_recorded(self, base_id: UUID, plan_version: int, targets: list[dict],
                       ctx: Context) -> None:
        self.plan_version = plan_version
        self.targets = targets

    def submit(self, *, base, year: int, narratives: dict, figures: dict, documents: list[dict],
               actor: Actor, now: datetime, ctx: Context) -> int:
        """Records the base's report for ``year``, or its revision; returns its version."""
        if not base.is_represented_by(actor):
            raise Forbidden("Only the base's own applicant submits its self-evaluation.")
        if base.status not in ACTIVE_STATUSES:
            raise RuleViolation(f"{base.name} is {base.status}; only demonstration bases "
                                "submit a self-evaluation.")
        check_year_open(year, now)
        check_narratives(base.kind, narratives)
        version = len(self.reports.get(year, ())) + 1
        self._submitted(base_id=base.id, year=year, version=version, name=base.name, kind=base.kind,
                        narratives=narratives, figures=figures, documents=documents,
                        plan_version=self.plan_version,
                        comparison=compare(figures, self.targets, year), submitted_at=now, ctx=ctx)
        return version

    @event("Submitted")
    def _submitted(self, base_id: UUID, year: int, version: int, name: str, kind: str,
                   narratives: dict,
                   figures: dict, documents: list[dict], plan_version: int | None,
                   comparison: list[dict], submitted_at: datetime, ctx: Context) -> None:
        self.reports.setdefault(year, []).append({
            "year": year, "version": version, "narratives": narratives, "figures": figures,
            "documents": documents, "plan_version": plan_version, "comparison": comparison,
            "submitted_at": submitted_at})

    def latest(self, up_to_year: int | None = None, as_of: datetime | None = None) -> dict | None:
        """The report of the latest year reported no later than ``up_to_year``, as it
        stood at ``as_of`` (None: now), compared with the targets known now."""
        years = [y for y in self.reports if (up_to_year is None or y <= up_to_year)
                 and self._versions(y, as_of)]
        return self.current(max(years), as_of) if years else None

    def current(self, year: int, as_of: datetime | None = None) -> dict | None:
        """The version in force of ``year``'s report (at ``as_of``: what a closed round
        was graded on, whatever was revised since), compared with the targets known now
        (a plan filed after the report was sent holds it to its targets too)."""
        versions = self._versions(year, as_of)
        if not versions:
            return None
        report = versions[-1]
        return {**report, "plan_version": self.plan_version,
                "comparison": compare(report["figures"], self.targets, year),
                "versions": len(versions)}

    def _versions(self, year: int, as_of: datetime | None) -> list[dict]:
        return [report for report in self.reports.get(year, ())
                if as_of is None or report["submitted_at"] <= as_of]
