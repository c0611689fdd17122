"""Applying upstream events to the service's application, and what a consumer counts.

Each transaction that the crash guard asks for is written down before it is applied
(``crash_guard.py``), so that an event that kills the process is known at the next start.
"""

import time

from services.contracts import IntegrationEvent

from services.backbone import failpoints
from services.backbone.eventstore.application import AwaitingOtherSource
from services.backbone.messaging.crash_guard import CrashGuard
from services.backbone.messaging.source_log_client import TRANSIENT


class ApplyFailed(Exception):
    """Applying one upstream event failed; names the event (it may be a pulled one).
    ``final``: no further attempt is to be made (it killed the process too often)."""

    def __init__(self, event: IntegrationEvent, cause: Exception, final: bool = False):
        super().__init__(f"{event.type} at {event.source}#{event.position}: {cause!r}")
        self.event = event
        self.cause = cause
        self.final = final


class ProcessDied(Exception):
    """The consumer's process died while applying this event, again and again."""


class Progress:
    """What one subscription has seen and done: outcomes by kind, the highest position
    of the source seen, the last one applied here (as last read), and their metrics."""

    def __init__(self, app, source: str):
        self.app = app
        self.source = source
        self.outcomes: dict[str, int] = {}
        self.highest_seen = 0
        self.applied: int | None = None

    def count(self, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        self.app.metrics.events_consumed.labels(self.source, outcome).inc()

    def seen(self, position: int, applied: int | None = None) -> None:
        """Notes a position seen (and, when the caller knows it, the last position
        applied) and sets the lag gauge, without reading the store again."""
        self.highest_seen = max(self.highest_seen, position)
        if applied is not None:
            self.applied = applied
        elif self.applied is None:
            self.applied = self.app.last_position(self.source)
        lag = max(0, self.highest_seen - self.applied)
        self.app.metrics.consumer_lag.labels(self.source).set(lag)


class Applier:
    """Applies events of one source, one or a run at a time, written down first where
    the crash guard asks; ``guard`` is set once the store has answered at start."""

    def __init__(self, app, source: str, max_attempts: int):
        self.app = app
        self.source = source
        self.max_attempts = max_attempts
        self.guard: CrashGuard | None = None

    def one(self, fn, event: IntegrationEvent, *args):
        """``fn(event, *args)``; one that killed the process too often is not tried.
        A failure other than infrastructure or waiting is raised as ``ApplyFailed``."""
        position = event.position
        guarded = self.guard is not None and self.guard.needed(position)
        if guarded:
            deaths = self.guard.deaths(position)
            if deaths >= self.max_attempts:
                raise ApplyFailed(event, ProcessDied(f"the process died {deaths} times applying it"),
                                  final=True)
            self.guard.begin(position, position)
        started = time.monotonic()
        try:
            failpoints.hit("consumer.before_apply")
            return fn(event, *args)
        except TRANSIENT + (AwaitingOtherSource,):
            raise
        except Exception as error:
            raise ApplyFailed(event, error) from error
        finally:
            self.app.metrics.handler_seconds.labels(self.source).observe(time.monotonic() - started)
            if guarded:
                self.guard.end(position, position)

    def run(self, events: list[IntegrationEvent]) -> bool:
        """Applies consecutive events in one transaction (``receive_run``); False, having
        written nothing, inside the range where the last process died."""
        first, last = events[0].position, events[-1].position
        guarded = self.guard.needed(first)
        if guarded and first <= self.guard.careful_until:
            return False
        if guarded:
            self.guard.begin(first, last)
        try:
            self.app.receive_run(events)
        finally:
            if guarded:
                self.guard.end(first, last)
        return True
