"""Quantitative indicators of a rubric: points earned from a base's reported figures,
beside the experts' qualitative scores (self-report + quantitative table + third party,
as national practice evaluates bases). Pure, no I/O.

In a rubric file, each quantitative indicator names a figure of the annual
self-evaluation, its weight (points) and two thresholds as data: at or below
``zero_at`` it earns nothing, at or above ``full_at`` its whole weight, linearly in
between (e.g. jobs created: 0 → 0 points, 500 or more → 10 points). Points are rounded
once to 0.01 half up, as scores are. A base that reported no figures earns none.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Callable, Mapping

from services.contracts.vocabulary import ANNUAL_INDICATORS

CENT = Decimal("0.01")


@dataclass(frozen=True)
class QuantitativeIndicator:
    """One figure scored by thresholds: ``weight`` points at ``full_at`` or above."""

    indicator: str
    weight: Decimal
    zero_at: Decimal
    full_at: Decimal

    @property
    def name(self) -> str:
        return ANNUAL_INDICATORS[self.indicator]

    def points(self, actual: Decimal | None) -> Decimal:
        """Linear between the thresholds, none below, the whole weight above."""
        if actual is None or actual <= self.zero_at:
            return Decimal("0.00")
        if actual >= self.full_at:
            return self.weight.quantize(CENT)
        share = (actual - self.zero_at) / (self.full_at - self.zero_at)
        return (self.weight * share).quantize(CENT, rounding=ROUND_HALF_UP)


def score_figures(indicators: tuple[QuantitativeIndicator, ...],
                  figures: Mapping[str, Any] | None) -> tuple[Decimal, list[dict]]:
    """The points each indicator earns from ``figures`` (None: nothing reported), and
    their total."""
    rows = []
    for item in indicators:
        actual = None if figures is None else Decimal(figures[item.indicator])
        rows.append({"indicator": item.indicator, "name": item.name, "weight": item.weight,
                     "zero_at": item.zero_at, "full_at": item.full_at, "actual": actual,
                     "points": item.points(actual)})
    return sum((row["points"] for row in rows), Decimal("0.00")), rows


def quantitative_indicators(data: Any, source: str, number: Callable[[Any, str], Decimal],
                            error: type[Exception]) -> tuple[QuantitativeIndicator, ...]:
    """Reads a rubric file's ``quantitative`` list (``number`` turns a value into an
    exact Decimal, refusing floats), raising ``error`` naming the file and the fault."""
    items = []
    for entry in data or ():
        if not isinstance(entry, Mapping) or entry.get("indicator") not in ANNUAL_INDICATORS:
            raise error(f"{source}: a quantitative indicator names one of "
                              f"{', '.join(ANNUAL_INDICATORS)}")
        code = entry["indicator"]
        weight = number(entry.get("weight"), f"{source}: weight of {code}")
        zero_at = number(entry.get("zero_at", 0), f"{source}: zero_at of {code}")
        full_at = number(entry.get("full_at"), f"{source}: full_at of {code}")
        if weight <= 0 or weight.as_tuple().exponent < -2:
            raise error(f"{source}: weight of {code} must be positive, with at most two places")
        if not 0 <= zero_at < full_at:
            raise error(f"{source}: {code} needs 0 <= zero_at < full_at")
        items.append(QuantitativeIndicator(code, weight, zero_at, full_at))
    codes = [item.indicator for item in items]
    if repeated := sorted({c for c in codes if codes.count(c) > 1}):
        raise error(f"{source}: quantitative indicators listed twice: {', '.join(repeated)}")
    return tuple(items)
