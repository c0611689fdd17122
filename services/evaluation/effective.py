"""A base's decisions in order of effective date, and the status that order leads to.
Pure, no I/O.

A decision takes effect on its date (the date of its document), not when it is typed
in: the first batch was decided on 2017-09-07 whenever it is entered. So the status is
derived by placing decisions in order of effective date, ties in the order they were
recorded. A decision dated before others already recorded is placed among them, and
what follows it is derived again: a later decision still applies if it starts from the
status the base now has at that point (or, for a base in good standing, from another
good standing the same decision may follow); otherwise it no longer applies and the
timeline says so, for the DRC to decide again. Nothing recorded is rewritten.
"""

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Iterable

from .policy import BEIJING, TRANSITIONS

GOOD_STANDING = ("certified", "retained", "recommended_national")


@dataclass(frozen=True)
class Placed:
    """A decision at its place in effective order: the status it found there, and
    whether it still applies (a superseded one changes nothing)."""

    decision: Any
    position: int  # its index in the order recorded
    effective_on: date | None
    status_before: str
    applies: bool


def effective_day(decision: Any) -> date | None:
    """The Beijing date a decision takes effect: its own date, or for decisions
    recorded before dates were, the day it was decided on the service's clock."""
    if getattr(decision, "effective_on", None) is not None:
        return decision.effective_on
    decided_at = getattr(decision, "decided_at", None)
    return decided_at.astimezone(BEIJING).date() if decided_at is not None else None


def start_of(day: date) -> datetime:
    """00:00 Beijing time on ``day``: the moment a decision of that date counts from."""
    return datetime.combine(day, time(0, 0), BEIJING)


def still_applies(decision: Any, status: str) -> bool:
    """Whether a decision still applies where it is placed, to a base in ``status``."""
    if decision.to_status not in TRANSITIONS.get(status, ()):
        return False
    if decision.from_status == status:
        return True
    return decision.from_status in GOOD_STANDING and status in GOOD_STANDING


def place(decisions: Iterable[Any]) -> list[Placed]:
    """The decisions in effective order (ties, and undated ones, in recorded order)."""
    keyed, last = [], date.min
    for position, decision in enumerate(decisions):
        day = effective_day(decision)
        last = day if day is not None else last  # undated: where it was recorded
        keyed.append(((day or last, position), decision))
    keyed.sort(key=lambda pair: pair[0])
    placed, status = [], "declared"
    for (_, position), decision in keyed:
        applies = still_applies(decision, status)
        placed.append(Placed(decision, position, effective_day(decision), status, applies))
        if applies:
            status = decision.to_status
    return placed


def status_in_effect(decisions: Iterable[Any], on: date | None = None) -> str:
    """The status the decisions lead to (those effective on or before ``on``, if given)."""
    status = "declared"
    for placed in place(decisions):
        if on is not None and placed.effective_on is not None and placed.effective_on > on:
            break
        if placed.applies:
            status = placed.decision.to_status
    return status


def deadline_in_effect(decisions: Iterable[Any]) -> datetime | None:
    """The rectification deadline of a base warned by the last decision that applies."""
    applied = [p.decision for p in place(decisions) if p.applies]
    if not applied or applied[-1].to_status != "warned":
        return None
    return applied[-1].rectification_deadline


def status_before(decisions: list, decision: Any) -> str:
    """The status a new decision finds at its effective date: after every decision
    effective on or before that day (a decision of the same day recorded earlier
    comes first)."""
    day = effective_day(decision)
    return status_in_effect(decisions, on=day) if day is not None else status_in_effect(decisions)
