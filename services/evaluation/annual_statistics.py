"""The annual reports' figures summed for the DRC (issue 27 §4, ``GET /stats/annual``):
by kind and by city, for a year, as the reports stood at the end of any day.

The view keeps every version of every report with when it was sent, and the kind and
place of each base, so a past day sums the versions in force then (a revision sent
later does not change what 2018-06-30 showed) and a rebuild gives the same sums."""

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from services.backbone.eventstore.views import View
from services.contracts.vocabulary import ANNUAL_INDICATORS, MONEY_INDICATORS, normalise_city

from .annual import AnnualReporting
from .domain import Base


class AnnualTotals(View):
    """Bases' kind, city, county and batch; each report's versions by base and year."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.bases: dict[UUID, dict] = {}
        self.reports: dict[tuple[UUID, int], list[tuple[datetime, dict]]] = {}

    def apply(self, event):
        if isinstance(event, Base.DeclarationReceived):
            self.bases[event.originator_id] = {
                "kind": event.kind, "city": normalise_city(event.region["city"]),
                "county": event.region["county"], "batch_id": event.batch_id}
        elif isinstance(event, AnnualReporting.Submitted):
            self.reports.setdefault((event.base_id, event.year), []).append(
                (event.submitted_at, dict(event.figures)))

    def in_force(self, as_of: datetime | None = None, **filters) -> list[dict]:
        """The version of each report in force at ``as_of`` (None: the latest), with its
        base's kind and place, for the bases and years matching ``filters``."""
        out = []
        for (base_id, year), versions in self.reports.items():
            base = {**self.bases.get(base_id, dict.fromkeys(("kind", "city", "county", "batch_id"))),
                    "year": year}
            if not all(value is None or base[name] == value for name, value in filters.items()):
                continue
            sent = [figures for moment, figures in versions if as_of is None or moment <= as_of]
            if sent:
                out.append({**base, "figures": sent[-1]})
        return out

    def statistics(self, as_of: datetime | None = None, **filters) -> dict:
        """Each indicator summed over the reports in force, in all, by kind and by city."""
        reports = self.in_force(as_of, **filters)
        return {"reports": len(reports), "totals": _sum(reports),
                "by_kind": _grouped(reports, "kind"), "by_city": _grouped(reports, "city")}


def _grouped(reports: list[dict], key: str) -> dict:
    groups: dict[str, list] = {}
    for report in reports:
        groups.setdefault(report[key], []).append(report)
    return {name: {"reports": len(rows), **_sum(rows)} for name, rows in sorted(groups.items())}


def _sum(reports: list[dict]) -> dict:
    """Counts as whole numbers; money as Decimal yuan, never a float."""
    sums = {}
    for indicator in ANNUAL_INDICATORS:
        money = indicator in MONEY_INDICATORS
        total = sum((Decimal(str(r["figures"].get(indicator, 0))) if money
                     else int(r["figures"].get(indicator, 0)) for r in reports),
                    Decimal("0.00") if money else 0)
        sums[indicator] = total
    return sums
