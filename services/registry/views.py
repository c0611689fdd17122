"""The registry's read models, folded from its log (rebuildable from position 0)."""

from uuid import UUID

from services.backbone.eventstore.views import View
from services.contracts.text import comparison_key
from services.contracts.vocabulary import normalise_city

from .domain import Base, DeclarationBatch, DeclaringUnit


class BaseDirectory(View):
    """A summary row per base, for lists filtered by kind, region, status and batch; a
    row per declaring unit; and the key index of names: every base, and the declaring
    unit, of each name's comparison key, whatever form the name was logged in."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.rows: dict[UUID, dict] = {}
        self.by_key: dict[str, list[UUID]] = {}
        self.units: dict[str, UUID] = {}
        self.unit_rows: dict[UUID, dict] = {}

    def apply(self, event):
        if isinstance(event, DeclaringUnit.FirstDeclared):
            self.units.setdefault(comparison_key(event.name), event.originator_id)
            self.unit_rows[event.originator_id] = {
                "unit_id": event.originator_id, "name": event.name, "declarations": 1,
                "latest_base_id": event.declaration, "first_declared_at": event.timestamp,
                "last_declared_at": event.timestamp}
            return
        if isinstance(event, DeclaringUnit.DeclaredAgain):
            unit = self.unit_rows[event.originator_id]
            unit.update(declarations=unit["declarations"] + 1, latest_base_id=event.declaration,
                        last_declared_at=event.timestamp)
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
                "plan_returned": False,
                "declaration_returned": False,
                "filed_version": None,
                "national": None,
            }
            return
        row = self.rows.get(event.originator_id)
        if row is None:
            return
        if isinstance(event, Base.StatusRecorded):
            row["status"] = event.to_status
            row["status_since"] = event.timestamp
        elif isinstance(event, Base.NationalRecorded):  # beside the status, never instead
            row["national"] = {"status": event.status, "call_id": event.call_id,
                               "document_number": event.document_number,
                               "effective_on": event.effective_on}
        elif isinstance(event, Base.PlanDrafted):
            row["plan_version"] = event.version
            row["plan_approvals"] = []
            row["plan_returned"] = False
        elif isinstance(event, Base.PlanReturned):
            row["plan_returned"] = True
        elif isinstance(event, (Base.DeclarationReturned, Base.DeclarationResubmitted)):
            row["declaration_returned"] = isinstance(event, Base.DeclarationReturned)
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

    def all_units(self) -> list[dict]:
        """Every unit that has declared, first declared first."""
        return sorted((dict(unit) for unit in self.unit_rows.values()),
                      key=lambda unit: (unit["first_declared_at"], unit["name"]))

    def unit(self, name: str) -> UUID | None:
        """The id of the declaring unit of this name's key, if it has declared."""
        return self.units.get(comparison_key(name))

    def select(self, *, kind=None, city=None, county=None, competent_department=None, status=None,
               batch_id=None) -> list[dict]:
        rows = self.rows.values()
        department = competent_department and comparison_key(competent_department)
        matches = [
            dict(row) for row in rows
            if (kind is None or row["kind"] == kind)
            and (city is None or normalise_city(row["region"]["city"]) == city)
            and (county is None or row["region"]["county"] == county)
            and (department is None or comparison_key(row["competent_department"]) == department)
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

    def name_of(self, batch_id: UUID) -> str:
        return self.batches.get(batch_id, {}).get("name", str(batch_id))
