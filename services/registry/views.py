"""The registry's read models, folded from its log (rebuildable from position 0)."""

from uuid import UUID

from services.backbone.eventstore.views import View
from services.contracts.text import comparison_key
from services.contracts.vocabulary import normalise_city

from .domain import Base, DeclarationBatch, DeclaringUnit


class BaseDirectory(View):
    """A summary row per base, for lists filtered by kind, region, status and batch;
    and the key index of names: every base, and the declaring unit, of each name's
    comparison key, whatever form the name was logged in."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.rows: dict[UUID, dict] = {}
        self.by_key: dict[str, list[UUID]] = {}
        self.units: dict[str, UUID] = {}

    def apply(self, event):
        if isinstance(event, DeclaringUnit.FirstDeclared):
            self.units.setdefault(comparison_key(event.name), event.originator_id)
            return
        if isinstance(event, Base.Declared):
            self.by_key.setdefault(comparison_key(event.name), []).append(event.originator_id)
            self.rows[event.originator_id] = {
                "base_id": event.originator_id,
                "name": event.name,
                "kind": event.kind,
                "region": event.region,
                "competent_department": event.competent_department,
                "batch_id": event.batch_id,
                "status": "declared",
                "declared_at": event.timestamp,
                "updated_at": event.timestamp,
                "plan_version": None,
                "plan_approvals": [],
                "filed_version": None,
            }
            return
        row = self.rows.get(event.originator_id)
        if row is None:
            return
        if isinstance(event, Base.StatusRecorded):
            row["status"] = event.to_status
        elif isinstance(event, Base.PlanDrafted):
            row["plan_version"] = event.version
            row["plan_approvals"] = []
        elif isinstance(event, Base.PlanApproved):
            row["plan_approvals"] = sorted(set(row["plan_approvals"]) | {event.capacity})
        elif isinstance(event, Base.PlanFiled):
            row["filed_version"] = event.version
        else:
            return
        row["updated_at"] = event.timestamp

    def named(self, name: str) -> list[dict]:
        """Every base declared under this name, in any batch, names compared by key:
        '山西大学（太原）', '山西大学(太原)' and 'ＳＸＵ' / 'sxu' are one unit each."""
        return [dict(self.rows[base_id]) for base_id in self.by_key.get(comparison_key(name), ())]

    def unit(self, name: str) -> UUID | None:
        """The id of the declaring unit of this name's key, if it has declared."""
        return self.units.get(comparison_key(name))

    def select(self, *, kind=None, city=None, county=None, status=None, batch_id=None,
               q=None, competent_department=None, sort=None) -> list[dict]:
        rows = self.rows.values()
        key = comparison_key(q) if q else None
        matches = [
            dict(row) for row in rows
            if (kind is None or row["kind"] == kind)
            and (city is None or normalise_city(row["region"]["city"]) == city)
            and (county is None or row["region"]["county"] == county)
            and (status is None or row["status"] == status)
            and (batch_id is None or row["batch_id"] == batch_id)
            and (competent_department is None or row["competent_department"] == competent_department)
            and (key is None or key in comparison_key(row["name"]))
        ]
        return sort_rows(matches, sort)


def sort_rows(rows: list[dict], sort: str | None) -> list[dict]:
    """``sort`` is a column, ``-`` first for descending; declaration order by default.
    The name breaks ties, so a page never shifts between two requests."""
    field = (sort or "declared_at").lstrip("-")
    if field == "city":
        def order(row):
            return (normalise_city(row["region"]["city"]), row["region"]["county"], row["name"])
    else:
        def order(row):
            return (row[field], row["name"])
    return sorted(rows, key=order, reverse=(sort or "").startswith("-"))


class BatchCalendar(View):
    """The declaration batches the registry knows of (from evaluation's events)."""

    def __init__(self):
        self.batches: dict[UUID, dict] = {}

    def reset(self):
        self.batches = {}

    def apply(self, event):
        if isinstance(event, DeclarationBatch.Opened):
            self.batches[event.originator_id] = {
                "batch_id": event.originator_id, "name": event.name,
                "opens_at": event.opens_at, "closes_at": event.closes_at,
                "quota": event.quota, "closed": False,
            }
        elif isinstance(event, DeclarationBatch.Closed):
            if event.originator_id in self.batches:
                self.batches[event.originator_id]["closed"] = True

    def all(self) -> list[dict]:
        return sorted((dict(b) for b in self.batches.values()), key=lambda b: b["opens_at"])

    def name_of(self, batch_id: UUID) -> str:
        return self.batches.get(batch_id, {}).get("name", str(batch_id))
