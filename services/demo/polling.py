"""Waiting for the platform without fixed sleeps: events travel between services through
the broker, so the demo polls the read APIs until they show what it expects."""

import time
from typing import Callable, TypeVar

T = TypeVar("T")


class DemoFailed(RuntimeError):
    """Something the demo expected did not happen; the message says what."""


def wait_for(predicate: Callable[[], T], *, timeout: float = 20.0, what: str,
             interval: float = 0.05, max_interval: float = 0.5) -> T:
    """Polls ``predicate`` until it returns something truthy, and returns that. Starts
    fast (most events arrive within tens of milliseconds) and backs off so that a slow
    wait does not hammer the services. Fails the demo after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise DemoFailed(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)
        interval = min(max_interval, interval * 1.5)
