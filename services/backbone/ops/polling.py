"""Waiting, bounded. Polling until something has happened, without fixed sleeps: events
travel between services through the broker, so a caller (the demo, the tests, the
benchmarks) asks the read side until it shows what it expects. And a probe that must
answer in time whatever the store does."""

import time
from typing import Callable, TypeVar

T = TypeVar("T")


def poll(predicate: Callable[[], T], *, timeout: float, what: str, interval: float = 0.05,
         max_interval: float | None = None, error: type[Exception] = TimeoutError) -> T:
    """Calls ``predicate`` until it returns something truthy, and returns that; raises
    ``error`` naming ``what`` after ``timeout`` seconds. With ``max_interval`` the pause
    grows by half each time up to it (most events arrive within tens of milliseconds,
    and a slow wait should not hammer the services)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise error(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(interval)
        if max_interval is not None:
            interval = min(max_interval, interval * 1.5)


PROBE_SECONDS = 2.0  # a readiness check or a metric read at a scrape waits this long at most


def within(seconds: float, read: Callable[[], T], what: str) -> T:
    """``read()``, or TimeoutError after ``seconds``. For probes in a service process
    (green threads): a store that does not answer is waited for far longer by its own
    machinery (on PostgreSQL, a pool connection for 5 s, ten times over, by the
    library's retries), and a readiness check or a scrape must answer before the
    monitor gives up on it."""
    import eventlet

    timer = eventlet.Timeout(seconds)
    try:
        with timer:
            return read()
    except eventlet.Timeout as expired:
        if expired is not timer:
            raise
        raise TimeoutError(f"{what} did not answer within {seconds:g}s") from None
