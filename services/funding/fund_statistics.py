"""The funds for the DRC's statistics (issue 27 §4, ``GET /stats/funds``): allocated,
paid, cancelled and recovered by fund source, city and fiscal year, as they stood at
the end of any day.

The view keeps each movement of money with when it was recorded, so a past day is the
sum of what had moved by then, and a rebuild of the log gives the same sums. Amounts
stay Decimals here and leave as strings."""

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from services.backbone.eventstore.views import View
from services.contracts.vocabulary import normalise_city

from .domain import ZERO, Allocation
from .eligibility import BaseStanding
from .views import AMOUNTS

UNKNOWN_CITY = "unknown"  # a base declared before funding kept its region
MOVEMENTS = {
    Allocation.TrancheDisbursed: "disbursed",
    Allocation.TranchesCancelled: "cancelled",
    Allocation.RecoveryDemanded: "recovery_demanded",
    Allocation.Recovered: "recovered",
}


class FundsCensus(View):
    """Bases' kind and place; each allocation's source and year; every movement."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.bases: dict[UUID, dict] = {}
        self.allocations: dict[UUID, dict] = {}
        self.movements: list[tuple[datetime, UUID, str, Decimal]] = []

    def apply(self, event):
        if isinstance(event, BaseStanding.Declared):
            region = getattr(event, "region", None) or {}
            city = region.get("city")
            self.bases[event.originator_id] = {
                "kind": event.kind, "city": normalise_city(city) if city else UNKNOWN_CITY,
                "county": region.get("county")}
        elif isinstance(event, BaseStanding.PlanFiled) and event.originator_id in self.bases:
            self.bases[event.originator_id]["kind"] = event.kind  # the plan states the kind
        elif isinstance(event, Allocation.Allocated):
            self.allocations[event.originator_id] = {
                "base_id": event.base_id, "fund_source": event.fund_source,
                "year": event.fiscal_year}
            self.movements.append((event.timestamp, event.originator_id, "allocated", event.amount))
        elif type(event) in MOVEMENTS:
            self.movements.append((event.timestamp, event.originator_id, MOVEMENTS[type(event)],
                                   event.amount))

    def statistics(self, as_of: datetime | None = None, **filters) -> dict:
        """Each amount summed in all, by fund source, by city and by fiscal year, over
        the allocations matching ``filters`` (kind, city, county, year, fund_source)."""
        sums = {"totals": _zero(), "by_source": {}, "by_city": {}, "by_year": {}}
        for moment, allocation_id, measure, amount in self.movements:
            if as_of is not None and moment > as_of:
                continue
            row = self._row(allocation_id)
            if not all(value is None or row[name] == value for name, value in filters.items()):
                continue
            sums["totals"][measure] += amount
            for group, key in (("by_source", row["fund_source"]), ("by_city", row["city"]),
                               ("by_year", str(row["year"]))):
                sums[group].setdefault(key, _zero())[measure] += amount
        return {name: (dict(sorted(value.items())) if name != "totals" else value)
                for name, value in sums.items()}

    def _row(self, allocation_id: UUID) -> dict:
        allocation = self.allocations[allocation_id]
        base = self.bases.get(allocation["base_id"], {"kind": None, "city": UNKNOWN_CITY,
                                                      "county": None})
        return {**allocation, **base}


def _zero() -> dict:
    return dict.fromkeys(AMOUNTS, ZERO)
