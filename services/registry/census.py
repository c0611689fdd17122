"""The DRC's statistics of bases (issue 27 §4, ``GET /stats/bases``): counts by kind,
city, county, status, batch and year, and the progress towards the policy's target,
as they stand now or stood at the end of any day.

The view keeps each base's declaration and its recorded decisions in the order of the
log, so a day in the past is a fold of what was known then, not a snapshot taken then:
the answer for 2018-06-30 is the same before and after a rebuild."""

from collections import Counter
from datetime import date, datetime, time, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

from services.backbone.eventstore.views import View
from services.contracts.vocabulary import ACTIVE_STATUSES, normalise_city

from .domain import Base

BEIJING = timezone(timedelta(hours=8))
# 晋政办发〔2017〕: "到2019年底前建设30个左右高水平的省级双创示范基地" (/work/shared/seed)
TARGET_BASES = 30
TARGET_BY = date(2019, 12, 31)
TENTH = Decimal("0.1")


def effective_moment(event) -> datetime:
    """When a recorded decision counts from: 00:00 Beijing time of its effective date,
    or, for one published before effective dates, when it was recorded."""
    day = event.decision.get("effective_on")
    if day is None:
        return event.timestamp
    if isinstance(day, str):
        day = date.fromisoformat(day)
    return datetime.combine(day, time(0, 0), BEIJING)


class BaseCensus(View):
    """Per base: what it was declared as (kind, city, county, batch, year) and its
    decisions with the moment each counts from; counted at a request, as of a moment."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.bases: dict[UUID, dict] = {}

    def apply(self, event):
        if isinstance(event, Base.Declared):
            self.bases[event.originator_id] = {
                "kind": event.kind, "city": normalise_city(event.region["city"]),
                "county": event.region["county"], "batch_id": event.batch_id,
                "declared_at": event.timestamp,
                "year": event.timestamp.astimezone(BEIJING).year, "decisions": []}
        elif isinstance(event, Base.StatusRecorded) and event.originator_id in self.bases:
            self.bases[event.originator_id]["decisions"].append((
                effective_moment(event), event.to_status,
                event.decision.get("decided_to_status", event.to_status)))

    def rows(self, as_of: datetime | None = None) -> list[dict]:
        """Each base declared or decided by ``as_of`` (None: now) with its status then:
        the last decision in effect by then in order of effective moment (ties: as
        recorded; a decision entered later from its document counts from its date);
        now, the last recorded, as the lists show it (``statuses_as_of`` likewise)."""
        out = []
        for base in self.bases.values():
            decisions, which = base["decisions"], 1
            if as_of is not None:
                decisions, which = sorted((d for d in decisions if d[0] <= as_of), key=lambda d: d[0]), 2
                if base["declared_at"] > as_of and not decisions:
                    continue  # neither declared nor decided by then
            status = decisions[-1][which] if decisions else "declared"
            out.append({**{k: v for k, v in base.items() if k != "decisions"}, "status": status})
        return out

    def statistics(self, as_of: datetime | None = None, **filters) -> dict:
        """Counts of the bases matching ``filters`` (kind, city, county, status,
        batch_id, year) at ``as_of``; the target's progress counts them all."""
        every = self.rows(as_of)
        rows = [row for row in every if _matches(row, filters)]
        return {"total": len(rows),
                "demonstration": sum(row["status"] in ACTIVE_STATUSES for row in rows),
                **{f"by_{name}": _count(rows, name) for name in ("kind", "city", "status", "year")},
                "by_batch": _count(rows, "batch_id"),
                "by_county": _counties(rows),
                "target": progress(every, as_of)}


def progress(rows: list[dict], as_of: datetime | None) -> dict:
    """Demonstration bases (certified, retained, warned, recommended) against about 30
    by the end of 2019, and how many counties have one: the policy tilts towards active
    counties, so their spread is part of the answer."""
    active = [row for row in rows if row["status"] in ACTIVE_STATUSES]
    return {"bases": TARGET_BASES, "by": TARGET_BY.isoformat(), "reached": len(active),
            "share": str((Decimal(min(len(active), TARGET_BASES) * 100) / TARGET_BASES).quantize(TENTH, ROUND_HALF_UP)),
            "counties": len({(row["city"], row["county"]) for row in active}),
            "met": len(active) >= TARGET_BASES}


def _matches(row: dict, filters: dict) -> bool:
    return all(value is None or row[name] == value for name, value in filters.items())


def _count(rows: list[dict], name: str) -> dict:
    return {str(key): n for key, n in sorted(Counter(row[name] for row in rows).items(),
                                             key=lambda item: str(item[0]))}


def _counties(rows: list[dict]) -> list[dict]:
    """Bases per county (with its city), most first: the distribution the policy asks for."""
    counties: dict[tuple, dict] = {}
    for row in rows:
        county = counties.setdefault((row["city"], row["county"]), {
            "city": row["city"], "county": row["county"], "total": 0, "demonstration": 0})
        county["total"] += 1
        county["demonstration"] += row["status"] in ACTIVE_STATUSES
    return sorted(counties.values(), key=lambda c: (-c["total"], c["city"], c["county"]))
