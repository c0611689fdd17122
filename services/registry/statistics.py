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
    """The dashboard's counts kept as events arrive: bases by kind, status and city (with
    each city's first names for the map), and month by month how many were declared of
    each kind and moved into and out of each status; a request reads them without
    walking every base (at 10,000 bases, counting at each request cost most of 首页)."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.months: dict[str, dict] = {}
        self.status_of: dict[UUID, str] = {}
        self.city_of: dict[UUID, str] = {}
        self.by_kind: Counter = Counter()
        self.by_status: Counter = Counter()
        self.by_city: dict[str, dict] = {city: _city() for city in CITIES}

    def _month(self, moment) -> dict:
        key = f"{moment.year:04d}-{moment.month:02d}"
        return self.months.setdefault(key, {"declared": Counter(), "status": Counter()})

    def apply(self, event):
        if isinstance(event, Base.Declared):
            self._declared(event)
        elif isinstance(event, Base.StatusRecorded) and event.originator_id in self.status_of:
            self._moved(event.originator_id, event.to_status, self._month(event.timestamp))

    def _declared(self, event):
        city = normalise_city(event.region["city"])
        row = self.by_city.setdefault(city, _city())
        row["total"] += 1
        if len(row["names"]) < MAP_NAMES_PER_CITY:
            row["names"].append(event.name)
        self.city_of[event.originator_id] = city
        self.by_kind[event.kind] += 1
        month = self._month(event.timestamp)
        month["declared"][event.kind] += 1
        self.status_of[event.originator_id] = None
        self._moved(event.originator_id, "declared", month)

    def _moved(self, base_id: UUID, to_status: str, month: dict):
        """A base leaves its status for ``to_status``: in all, in its city, in its month."""
        before, city = self.status_of[base_id], self.by_city[self.city_of[base_id]]["by_status"]
        for counter in (self.by_status, city, month["status"]):
            if before is not None:
                counter[before] -= 1
            counter[to_status] += 1
        self.status_of[base_id] = to_status

    def series(self) -> list[dict]:
        """Running totals at the end of each month that saw a change, oldest first."""
        kinds, statuses, out = Counter(), Counter(), []
        for key in sorted(self.months):
            kinds.update(self.months[key]["declared"])
            statuses.update(self.months[key]["status"])
            out.append({"month": key, "by_kind": dict(kinds),
                        "by_status": {code: n for code, n in statuses.items() if n}})
        return out

    def summary(self) -> dict:
        """Counts of bases by kind, status and city (with each city's names for the map)."""
        return {
            "total": len(self.status_of),
            "by_kind": {code: n for code, n in self.by_kind.items() if n},
            "by_status": {code: n for code, n in self.by_status.items() if n},
            "by_city": {name: {"total": row["total"], "names": list(row["names"]),
                               "by_status": {code: n for code, n in row["by_status"].items() if n}}
                        for name, row in self.by_city.items()},
            "over_time": self.series(),
        }


def _city() -> dict:
    return {"total": 0, "by_status": Counter(), "names": []}


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
