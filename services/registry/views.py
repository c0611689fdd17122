"""The registry's read models, folded from its log (rebuildable from position 0)."""

from uuid import UUID

from services.backbone.eventstore.views import View
from services.contracts.vocabulary import normalise_city

from .domain import Base, DeclarationBatch, normalize_name


class BaseDirectory(View):
    """A summary row per base, for lists filtered by kind, region, status and batch."""

    def __init__(self):
        self.rows: dict[UUID, dict] = {}
        self.by_name: dict[str, list[UUID]] = {}

    def reset(self):
        self.rows = {}
        self.by_name = {}

    def apply(self, event):
        if isinstance(event, Base.Declared):
            self.by_name.setdefault(normalize_name(event.name), []).append(event.originator_id)
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
        """Every base declared under this name, in any batch: names compared as a
        batch compares them (``normalize_name``), or '山西大学（太原）' declared again
        in a second batch as '山西大学(太原)' would not be seen as the same unit."""
        return [dict(self.rows[base_id]) for base_id in self.by_name.get(normalize_name(name), ())]

    def select(self, *, kind=None, city=None, county=None, status=None, batch_id=None) -> list[dict]:
        rows = self.rows.values()
        matches = [
            dict(row) for row in rows
            if (kind is None or row["kind"] == kind)
            and (city is None or normalise_city(row["region"]["city"]) == city)
            and (county is None or row["region"]["county"] == county)
            and (status is None or row["status"] == status)
            and (batch_id is None or row["batch_id"] == batch_id)
        ]
        return sorted(matches, key=lambda row: (row["declared_at"], row["name"]))


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
