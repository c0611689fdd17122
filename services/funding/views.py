"""Funding's read models, folded from its log (rebuildable from position 0), and the
CSV the finance department opens in Excel."""

import csv
import io
from decimal import Decimal
from uuid import UUID

from services.backbone.eventstore.views import View
from services.contracts.funding import FUND_SOURCES
from services.contracts.text import comparison_key
from services.contracts.vocabulary import KINDS

from .domain import ZERO, Allocation, Envelope, allocation_status
from .eligibility import BaseStanding

AMOUNTS = ("allocated", "disbursed", "cancelled", "recovery_demanded", "recovered")


class FundingLedger(View):
    """Envelopes with their running amounts, allocations with theirs, and the names and
    kinds of bases: what envelope summaries and the export read."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.envelopes: dict[UUID, dict] = {}
        self.allocations: dict[UUID, dict] = {}
        self.bases: dict[UUID, dict] = {}

    def apply(self, event):
        handler = getattr(self, HANDLERS.get(type(event), ""), None)
        if handler is not None:
            handler(event)

    # -- envelopes and bases ---------------------------------------------------------------

    def _envelope_opened(self, event):
        self.envelopes[event.originator_id] = {
            "envelope_id": event.originator_id, "name": event.name,
            "fiscal_year": event.fiscal_year, "fund_source": event.fund_source,
            "total": event.total, "caps_by_kind": dict(event.caps_by_kind),
            "caps_by_base": dict(event.caps_by_base), "opened_at": event.timestamp,
            "allocations": 0, **{amount: ZERO for amount in AMOUNTS},
        }

    def envelope_named(self, fiscal_year: int, fund_source: str, name: str) -> UUID | None:
        """The envelope of that year and source whose name has this one's key, if any."""
        key = comparison_key(name)
        return next((envelope_id for envelope_id, row in self.envelopes.items()
                     if (row["fiscal_year"], row["fund_source"]) == (fiscal_year, fund_source)
                     and comparison_key(row["name"]) == key), None)

    def _standing_recorded(self, event):
        self.bases[event.originator_id] = {"name": "", "kind": None}

    def _base_declared(self, event):
        base = self.bases[event.originator_id]
        base["name"] = event.name
        base["kind"] = base["kind"] or event.kind

    def _plan_filed(self, event):
        self.bases[event.originator_id]["kind"] = event.kind

    # -- allocations --------------------------------------------------------------------------

    def _allocated(self, event):
        self.allocations[event.originator_id] = {
            "allocation_id": event.originator_id, "base_id": event.base_id,
            "envelope_id": event.envelope_id, "fiscal_year": event.fiscal_year,
            "fund_source": event.fund_source, "amount": event.amount,
            "purpose": event.purpose, "tranches": len(event.tranches),
            "allocated_at": event.timestamp, "updated_at": event.timestamp,
            "held": False, "withdrawn": False, "pending": event.amount,
            **{amount: ZERO for amount in AMOUNTS if amount != "allocated"},
        }
        envelope = self.envelopes[event.envelope_id]
        envelope["allocated"] += event.amount
        envelope["allocations"] += 1

    def _add(self, event, amount_name: str, amount: Decimal, **flags):
        """Adds an amount to an allocation and its envelope, and sets its flags."""
        row = self._flag(event, **flags)
        row[amount_name] += amount
        if amount_name in ("disbursed", "cancelled"):
            row["pending"] -= amount
        self.envelopes[row["envelope_id"]][amount_name] += amount

    def _flag(self, event, **flags) -> dict:
        row = self.allocations[event.originator_id]
        row.update(flags, updated_at=event.timestamp)
        return row

    def _disbursed(self, event):
        self._add(event, "disbursed", event.amount)

    def _cancelled(self, event):
        self._add(event, "cancelled", event.amount, withdrawn=True, held=False)

    def _recovery_demanded(self, event):
        self._add(event, "recovery_demanded", event.amount, withdrawn=True, held=False)

    def _recovered(self, event):
        self._add(event, "recovered", event.amount)

    def _held(self, event):
        self._flag(event, held=True)

    def _hold_released(self, event):
        self._flag(event, held=False)

    # -- reading ------------------------------------------------------------------------------

    def envelope_summary(self, envelope_id: UUID) -> dict | None:
        row = self.envelopes.get(envelope_id)
        if row is None:
            return None
        remaining = row["total"] - row["allocated"] + row["cancelled"] + row["recovered"]
        return {**row, "remaining": remaining,
                "outstanding_recovery": row["recovery_demanded"] - row["recovered"]}

    def envelope_summaries(self, *, fiscal_year=None, fund_source=None) -> list[dict]:
        rows = [self.envelope_summary(envelope_id) for envelope_id, row in self.envelopes.items()
                if (fiscal_year is None or row["fiscal_year"] == fiscal_year)
                and (fund_source is None or row["fund_source"] == fund_source)]
        return sorted(rows, key=lambda row: (row["fiscal_year"], row["fund_source"], row["name"]))

    def allocation_rows(self, *, fiscal_year=None, envelope_id=None, base_id=None) -> list[dict]:
        """Allocations with their envelope's name and their base's name and kind."""
        rows = []
        for row in self.allocations.values():
            if (fiscal_year is not None and row["fiscal_year"] != fiscal_year) \
                    or (envelope_id is not None and row["envelope_id"] != envelope_id) \
                    or (base_id is not None and row["base_id"] != base_id):
                continue
            base = self.bases.get(row["base_id"], {"name": "", "kind": None})
            rows.append({**row, "envelope_name": self.envelopes[row["envelope_id"]]["name"],
                         "base_name": base["name"], "kind": base["kind"],
                         "status": allocation_status(
                             withdrawn=row["withdrawn"], held=row["held"], pending=row["pending"],
                             demanded=row["recovery_demanded"], recovered=row["recovered"])})
        return sorted(rows, key=lambda row: (row["allocated_at"], str(row["allocation_id"])))


HANDLERS = {
    Envelope.Opened: "_envelope_opened",
    BaseStanding.Recorded: "_standing_recorded",
    BaseStanding.Declared: "_base_declared",
    BaseStanding.PlanFiled: "_plan_filed",
    Allocation.Allocated: "_allocated",
    Allocation.TrancheDisbursed: "_disbursed",
    Allocation.TranchesCancelled: "_cancelled",
    Allocation.RecoveryDemanded: "_recovery_demanded",
    Allocation.Recovered: "_recovered",
    Allocation.Held: "_held",
    Allocation.HoldReleased: "_hold_released",
}

STATUS_NAMES = {
    "active": "执行中", "held": "暂缓拨付", "completed": "已拨付完毕",
    "cancelled": "已取消", "recovering": "待追回", "recovered": "已追回",
}

CSV_COLUMNS = [
    ("预算年度", lambda r: r["fiscal_year"]),
    ("资金来源", lambda r: FUND_SOURCES[r["fund_source"]]),
    ("预算包", lambda r: r["envelope_name"]),
    ("分配编号", lambda r: r["allocation_id"]),
    ("基地编号", lambda r: r["base_id"]),
    ("基地名称", lambda r: r["base_name"]),
    ("示范类型", lambda r: KINDS.get(r["kind"] or "", "")),
    ("用途", lambda r: r["purpose"]),
    ("分配金额（元）", lambda r: r["amount"]),
    ("已拨付（元）", lambda r: r["disbursed"]),
    ("待拨付（元）", lambda r: r["pending"]),
    ("已取消（元）", lambda r: r["cancelled"]),
    ("应追回（元）", lambda r: r["recovery_demanded"]),
    ("已追回（元）", lambda r: r["recovered"]),
    ("状态", lambda r: STATUS_NAMES[r["status"]]),
    ("分配时间", lambda r: r["allocated_at"].isoformat()),
]


def ledger_csv(rows: list[dict]) -> str:
    """The allocations as CSV: a byte-order mark first (Excel then reads UTF-8, so the
    Chinese shows), money as exact decimal strings, and text cells that a spreadsheet
    would run as a formula defused with a leading apostrophe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([title for title, _ in CSV_COLUMNS])
    for row in rows:
        writer.writerow([_cell(value(row)) for _, value in CSV_COLUMNS])
    return "\ufeff" + buffer.getvalue()


def _cell(value) -> str:
    if isinstance(value, Decimal):
        return str(value.quantize(Decimal("0.01")))
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
