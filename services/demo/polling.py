"""Waiting for the platform without fixed sleeps: events travel between services through
the broker, so the demo polls the read APIs until they show what it expects."""

from typing import Callable, TypeVar

from services.backbone.ops.polling import poll

T = TypeVar("T")


class DemoFailed(RuntimeError):
    """Something the demo expected did not happen; the message says what."""


def wait_for(predicate: Callable[[], T], *, timeout: float = 20.0, what: str,
             interval: float = 0.05, max_interval: float = 0.5) -> T:
    """Polls ``predicate`` until it returns something truthy, and returns that; fails
    the demo after ``timeout`` seconds."""
    return poll(predicate, timeout=timeout, what=what, interval=interval,
                max_interval=max_interval, error=DemoFailed)
