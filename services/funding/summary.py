"""What the DRC's dashboard shows of the money (``GET /stats/summary``) and what waits for
the funding office (``GET /todo``), from the funding ledger: amounts stay Decimals and
leave as strings, so the console never adds money up itself."""

from collections import defaultdict
from decimal import Decimal

from .views import AMOUNTS, FundingLedger

ZERO = Decimal("0.00")
SUMMED = (*AMOUNTS, "total", "remaining")


def money_summary(ledger: FundingLedger) -> dict:
    """Budget totals across every envelope (``allocated``, ``disbursed`` = paid,
    ``recovered``...), and the same by fiscal year."""
    whole = dict.fromkeys(SUMMED, ZERO)
    by_year: dict[int, dict] = defaultdict(lambda: dict.fromkeys(SUMMED, ZERO))
    allocations = 0
    for row in ledger.envelope_summaries():
        allocations += row["allocations"]
        for name in SUMMED:
            whole[name] += row[name]
            by_year[row["fiscal_year"]][name] += row[name]
    return {**{name: str(amount) for name, amount in whole.items()}, "allocations": allocations,
            "by_fiscal_year": {str(year): {k: str(v) for k, v in sums.items()}
                               for year, sums in sorted(by_year.items())}}


def todo(ledger: FundingLedger, actor) -> list[dict]:
    """For the funding office, oldest first: allocations with tranches still to pay (not
    held or withdrawn), and recoveries demanded but not yet collected."""
    if actor.role != "funding_office":
        return []
    items = []
    for row in ledger.allocation_rows():
        if row["status"] == "active" and row["pending"] > 0:
            task = "disburse_tranche"
        elif row["status"] == "recovering":
            task = "collect_recovery"
        else:
            continue
        items.append({"task": task, "base_id": row["base_id"], "base_name": row["base_name"],
                      "since": row["updated_at"], "amount": str(row["pending"] if task == "disburse_tranche"
                                                                else row["recovery_demanded"] - row["recovered"]),
                      "link": f"/bases/{row['base_id']}"})
    return sorted(items, key=lambda item: item["since"])
