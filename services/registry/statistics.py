"""What the DRC's dashboard counts (``GET /stats/summary``) and what waits for a caller
in the registry (``GET /todo``): read from the registry's own read models, so the console
shows the registry's answer rather than counting for itself."""

from collections import Counter
from uuid import UUID

from services.backbone.eventstore.views import View
from services.contracts.vocabulary import CITIES, normalise_city

from .domain import Base

APPROVERS = ("county_government", "competent_department")
MAP_NAMES_PER_CITY = 50  # names a map's tooltip lists; the count is always whole


class StatusCalendar(View):
    """Month by month, how many bases were declared of each kind and how many moved into
    and out of each status: enough to draw the counts over time without reading the log."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.months: dict[str, dict] = {}
        self.status_of: dict[UUID, str] = {}

    def _month(self, moment) -> dict:
        key = f"{moment.year:04d}-{moment.month:02d}"
        return self.months.setdefault(key, {"declared": Counter(), "status": Counter()})

    def apply(self, event):
        if isinstance(event, Base.Declared):
            month = self._month(event.timestamp)
            month["declared"][event.kind] += 1
            month["status"]["declared"] += 1
            self.status_of[event.originator_id] = "declared"
        elif isinstance(event, Base.StatusRecorded) and event.originator_id in self.status_of:
            month = self._month(event.timestamp)
            month["status"][self.status_of[event.originator_id]] -= 1
            month["status"][event.to_status] += 1
            self.status_of[event.originator_id] = event.to_status

    def series(self) -> list[dict]:
        """Running totals at the end of each month that saw a change, oldest first."""
        kinds, statuses, out = Counter(), Counter(), []
        for key in sorted(self.months):
            kinds.update(self.months[key]["declared"])
            statuses.update(self.months[key]["status"])
            out.append({"month": key, "by_kind": dict(kinds),
                        "by_status": {code: n for code, n in statuses.items() if n}})
        return out


def summary(rows: list[dict], series: list[dict]) -> dict:
    """Counts of bases by kind, status and city (with each city's names for the map)."""
    by_city = {city: {"total": 0, "by_status": Counter(), "names": []} for city in CITIES}
    for row in rows:
        city = by_city.setdefault(normalise_city(row["region"]["city"]),
                                  {"total": 0, "by_status": Counter(), "names": []})
        city["total"] += 1
        city["by_status"][row["status"]] += 1
        if len(city["names"]) < MAP_NAMES_PER_CITY:
            city["names"].append(row["name"])
    return {
        "total": len(rows),
        "by_kind": dict(Counter(row["kind"] for row in rows)),
        "by_status": dict(Counter(row["status"] for row in rows)),
        "by_city": {name: {**city, "by_status": dict(city["by_status"])} for name, city in by_city.items()},
        "over_time": series,
    }


def todo(rows: list[dict], actor) -> list[dict]:
    """What waits for ``actor`` in the registry, oldest first: plans to approve for a
    county government (its county) or a competent department (its own), approved plans
    to file for the DRC, and for an applicant its bases' plans to draft or file."""
    items = []
    for row in sorted(rows, key=lambda r: r["updated_at"]):
        task = _task(row, actor)
        if task:
            items.append({"task": task, "base_id": row["base_id"], "base_name": row["name"],
                          "since": row["updated_at"], "status": row["status"],
                          "link": f"/bases/{row['base_id']}"})
    return items


def _task(row: dict, actor) -> str | None:
    version, approvals = row["plan_version"], row["plan_approvals"]
    awaiting = version is not None and row["filed_version"] != version
    approved = awaiting and all(capacity in approvals for capacity in APPROVERS)
    if actor.role == "county_government" and awaiting and "county_government" not in approvals:
        region = row["region"]
        return "approve_plan" if actor.region == (normalise_city(region["city"]), region["county"]) else None
    if actor.role == "competent_department" and awaiting and "competent_department" not in approvals:
        return "approve_plan" if actor.org == row["competent_department"] else None
    if actor.role == "drc" and approved:
        return "file_plan"
    if actor.role == "applicant" and actor.speaks_for(row["base_id"]):
        if approved:
            return "file_plan"
        if version is None and row["status"] in ("certified", "retained", "warned"):
            return "draft_plan"
    return None
