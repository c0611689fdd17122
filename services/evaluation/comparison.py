"""A year's figures beside the targets of the filed construction plan. Pure, no I/O.

A plan's target (metric, value, due date) is what the base committed to reach by its
due date; the annual report of the due date's year is held to it (Ningxia 2020
practice: bases are held to their plan's targets). Of two targets of one indicator due
in the same year, the later one is the year's. An indicator with no target due that
year says so ("no_target") rather than being compared with nothing.
"""

from datetime import date
from decimal import Decimal
from typing import Mapping, Sequence

from services.contracts.vocabulary import ANNUAL_INDICATORS

CENT = Decimal("0.01")


def targets_for_year(targets: Sequence[Mapping], year: int) -> dict[str, Decimal]:
    """The target of each indicator for ``year``: the latest one due within it."""
    due_in_year = sorted((t for t in targets if _due(t).year == year), key=_due)
    return {t["metric"]: Decimal(t["value"]) for t in due_in_year}


def compare(figures: Mapping[str, object], targets: Sequence[Mapping], year: int) -> list[dict]:
    """One row per indicator: target (None when there is none), actual, gap (actual −
    target, negative when short of it) and whether the target was met."""
    year_targets = targets_for_year(targets, year)
    rows = []
    for indicator in ANNUAL_INDICATORS:
        actual = Decimal(figures[indicator]).quantize(CENT)
        target = year_targets.get(indicator)
        if target is None:
            rows.append({"indicator": indicator, "target": None, "actual": actual, "gap": None,
                         "status": "no_target"})
            continue
        gap = (actual - target).quantize(CENT)
        rows.append({"indicator": indicator, "target": target.quantize(CENT), "actual": actual,
                     "gap": gap, "status": "met" if gap >= 0 else "short"})
    return rows


def _due(target: Mapping) -> date:
    due = target["due"]
    return date.fromisoformat(due) if isinstance(due, str) else due
