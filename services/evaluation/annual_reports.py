"""The annual self-evaluations in the evaluation application: submitting them, the
plan targets they are held to (from the registry's PlanFiled), and reading them."""

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from services.backbone.eventstore.application import reacts_to, retry_on_conflict
from services.backbone.kernel.context import Actor, Context

from .annual import AnnualReporting
from .annual_statistics import AnnualTotals
from .domain import Base


class AnnualReports:
    """Mixin of the evaluation application: annual self-evaluations (年度自评)."""

    @retry_on_conflict
    def submit_annual_report(self, base_id: UUID, *, year: int, narratives: dict, figures: dict,
                             documents: list[dict], actor: Actor, ctx: Context) -> dict:
        """The applicant's report of a year, or its revision; returns it as it stands,
        compared with the filed plan's targets."""
        base = self.require(base_id, Base, "base")
        reporting = self._reporting(base_id, ctx)
        reporting.submit(base=base, year=year, narratives=narratives, figures=figures,
                         documents=documents, actor=actor, now=self.clock(), ctx=ctx)
        self.save(reporting)
        return {"base_id": base_id, **reporting.current(year)}

    @reacts_to("PlanFiled")
    def record_plan_filed(self, event, processing) -> None:
        """The targets of a filed plan; a version filed before a later one is ignored."""
        payload = event.payload
        reporting = self._reporting(payload["base_id"], self.upstream_context(event))
        if (reporting.plan_version or 0) >= payload["plan_version"]:
            return
        reporting.record_plan(plan_version=payload["plan_version"], targets=payload["targets"],
                              ctx=self.upstream_context(event))
        processing.collect_events(reporting)

    def annual_reports(self, base_id: UUID, actor: Actor) -> list[dict]:
        """Every year a base reported, latest year first: the version in force with its
        comparison, and how many versions there were (applicants: their own base)."""
        self._readable_base(base_id, actor)
        reporting = self.find(AnnualReporting.create_id(base_id), AnnualReporting)
        if reporting is None:
            return []
        return [{"base_id": base_id, **reporting.current(year)}
                for year in sorted(reporting.reports, reverse=True)]

    def annual_report_for(self, base_id: UUID, up_to_year: int | None = None,
                          as_of: datetime | None = None) -> dict | None:
        """The latest report of a year no later than ``up_to_year``, as it stood at
        ``as_of`` (None: now): what a round of that year's period scores and shows."""
        reporting = self.find(AnnualReporting.create_id(base_id), AnnualReporting)
        return reporting.latest(up_to_year, as_of) if reporting is not None else None

    def annual_statistics(self, as_of: datetime | None = None, **filters) -> dict:
        """The reports' figures summed by kind and city (``annual_statistics``)."""
        return self.views[AnnualTotals].statistics(as_of, **filters)

    def _reporting(self, base_id: UUID, ctx: Context) -> AnnualReporting:
        found = self.find(AnnualReporting.create_id(base_id), AnnualReporting)
        return found if found is not None else AnnualReporting(base_id=base_id, ctx=ctx)


def period_year(period: str) -> int:
    """The year of a half-year period ("2018H2" -> 2018)."""
    return int(period[:4])


class RoundFigures:
    """Mixin of the evaluation application: what a round's scoring sees of a base's
    annual self-evaluation beside the rubric (the latest report of a year no later than
    the round's), and the points a rubric with quantitative indicators gives it."""

    def figures_in_round(self, evaluation, base_id: UUID, rubric_version: str,
                         experts: Decimal | None) -> dict:
        """The report shown beside the rubric, the quantitative points it earns, and the
        total (experts' mean plus those points; None until the experts have scored). A
        closed round shows the report as it stood when it closed: what it was graded on."""
        report = self.annual_report_for(base_id, period_year(evaluation.period),
                                        as_of=evaluation.closed_at)
        rubric = self.catalogue.rubric(rubric_version)
        points, rows = rubric.score_figures(report["figures"] if report else None)
        return {"annual_report": report,
                "quantitative": {"points": points, "indicators": rows} if rubric.quantitative else None,
                "total": None if experts is None else experts + points}
