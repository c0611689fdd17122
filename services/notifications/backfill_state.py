"""A subscription's backfill as a value: what it reads, how far it has come, and which
events the live path leaves to it. Pure, no I/O: the aggregate's events and the
subscription directory fold the same functions, so they cannot disagree.

A backfill delivers, from each source's published log, the events a subscription made
today would have missed (from the beginning, or since a date) and also those that
arrive live while it runs: until a source is *caught up*, the live path defers that
source's events to the backfill, which reaches them in log order. That is how a
backfilled subscription gets its events in the same order as a live one, and each once.

- ``start``: each source's last position applied here when the backfill began; what
  comes after it followed the subscription, and is delivered even if the backfill is
  cancelled (cancelling skips the rest of the *history*, never the present).
- ``positions``: how far the backfill has handled each source's log (delivered or
  skipped), committed with the deliveries it scheduled.
- ``caught_up``: sources whose log the backfill has read up to what the live consumer
  had applied, handed over on the source's ``BackfillFence`` (which the live path
  writes too whenever it leaves an event to the backfill, so that the two cannot both
  decide on a stale reading); from then on the live path delivers that source's events,
  which all come after ``positions``.
"""

from datetime import datetime

from services.contracts import IntegrationEvent

RUNNING, CANCELLED, COMPLETED = "running", "cancelled", "completed"


def started(since: datetime | None, rate: float, start: dict, at: datetime, number: int) -> dict:
    return {"number": number, "since": since, "rate": rate, "start": dict(start),
            "positions": {source: 0 for source in start}, "caught_up": [],
            "status": RUNNING, "delivered": 0, "started_at": at, "cancelled_at": None,
            "finished_at": None}


def advanced(state: dict, positions: dict, delivered: int) -> dict:
    return {**state, "positions": {**state["positions"], **positions},
            "delivered": state["delivered"] + delivered}


def caught_up(state: dict, source: str, at: datetime) -> dict:
    done = [*state["caught_up"], source] if source not in state["caught_up"] else state["caught_up"]
    finished = set(done) >= set(state["start"])
    status = COMPLETED if finished and state["status"] == RUNNING else state["status"]
    return {**state, "caught_up": done, "status": status,
            "finished_at": at if finished else None}


def cancelled(state: dict, at: datetime) -> dict:
    return {**state, "status": CANCELLED, "cancelled_at": at}


def is_open(state: dict | None) -> bool:
    """Whether a backfill still has work: history to read, or live events it deferred."""
    return state is not None and state["finished_at"] is None


def defers(state: dict | None, source: str, position: int) -> bool:
    """Whether the live path leaves this event to the backfill: its source is not caught
    up yet and the backfill has not passed it, so will reach it. (A live event is always
    past what the backfill read, which stops at what the live path applied; one it has
    passed is an event ops replay from parking, which the live path delivers unless the
    subscription has it already.)"""
    if state is None or source not in state["start"]:
        return False
    return source not in state["caught_up"] and position > state["positions"][source]


def wants(state: dict, event: IntegrationEvent) -> bool:
    """Whether the backfill delivers this event of the log (the filter still applies):
    every event that followed the subscription; of the history, those since ``since``
    (all from the beginning), unless the backfill was cancelled."""
    if event.position > state["start"][event.source]:
        return True
    if state["status"] == CANCELLED:
        return False
    return state["since"] is None or event.occurred_at >= state["since"]
