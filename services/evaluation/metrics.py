"""A base's half-year periods and the metrics it reports for them. Pure, no I/O.

Periods are half-years as officials name them (``2018H1``: 上半年); a period is
reported once it has begun. Counts are whole numbers, financing is yuan as a Decimal
with at most two places (never a float).
"""

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from services.backbone.kernel.errors import RuleViolation, field_error
from services.contracts.vocabulary import METRICS

from .policy import BEIJING

PERIOD = re.compile(r"^(20\d\d)H([12])$")
COUNTED = tuple(m for m in METRICS if m != "financing_raised")


def period_start(period: str, field: str = "period") -> date:
    """The first day of a half-year period such as ``2018H1`` (上半年) or ``2018H2``."""
    match = PERIOD.match(period or "")
    if not match:
        raise field_error(field, "a period is a year and a half, e.g. 2018H1 or 2018H2")
    return date(int(match[1]), 1 if match[2] == "1" else 7, 1)


def check_period_begun(period: str, now: datetime, field: str = "period") -> None:
    if period_start(period, field) > now.astimezone(BEIJING).date():
        raise field_error(field, f"{period} has not begun yet")


def check_metric_values(values: dict) -> None:
    """Every metric of the vocabulary, non-negative; counts are whole numbers and
    financing is yuan with at most two places."""
    errors = {m: ["Missing."] for m in METRICS if m not in values}
    errors.update({m: ["Not a metric."] for m in values if m not in METRICS})
    for metric in sorted(set(values) & set(METRICS)):
        if not _valid_metric(metric, values[metric]):
            errors[metric] = ["A non-negative whole number." if metric in COUNTED else
                              "A non-negative amount of yuan with at most two places."]
    if errors:
        raise RuleViolation("The metrics are not valid.", fields={"values": errors})


def _valid_metric(metric: str, value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if metric in COUNTED:
        return isinstance(value, int) and value >= 0
    return (isinstance(value, Decimal) and value.is_finite() and value >= 0
            and value.as_tuple().exponent >= -2)
