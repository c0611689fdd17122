"""Upstream events set aside after failing N times (parked), kept in the consumer's log.

Parking records the event's position as handled, atomically with the Parked event, so
the stream keeps flowing; the message itself goes to the dead-letter queue for ops. A
replay (ops moves it back to its queue) applies it once and marks it replayed; a discard
marks it discarded. Each step is an event: who, when, why.
"""

from typing import Any

from eventsourcing.domain import Aggregate, event

from services.backbone.kernel.context import Context, stable_id


class ParkedEvent(Aggregate):
    """One upstream event (source, position) that this service could not apply."""

    @staticmethod
    def create_id(source: str, position: int, **_: Any):
        return stable_id("parked", source, position)

    @event("Parked")
    def __init__(self, source: str, position: int, event_type: str, message: dict,
                 error: str, attempts: int, ctx: Context):
        self.source = source
        self.position = position
        self.event_type = event_type
        self.message = message
        self.error = error
        self.attempts = attempts
        self.state = "parked"

    @event("Replayed")
    def replayed(self, ctx: Context) -> None:
        self.state = "replayed"

    @event("Discarded")
    def discarded(self, reason: str, ctx: Context) -> None:
        self.state = "discarded"


class DeadLetterRecord(Aggregate):
    """What ops did with one dead-lettered message (replayed, discarded), and who."""

    @staticmethod
    def create_id(queue: str, message_id: str, **_: Any):
        return stable_id("dead-letter", queue, message_id)

    @event("Noted")
    def __init__(self, queue: str, message_id: str, error: str, ctx: Context):
        self.queue = queue
        self.message_id = message_id
        self.error = error
        self.actions: list[str] = []

    @event("Replayed")
    def replayed(self, ctx: Context, reason: str = "") -> None:
        """Ops put the message back into its queue, and why (the default reads the
        replays recorded before the reason was)."""
        self.actions.append("replayed")

    @event("Discarded")
    def discarded(self, reason: str, ctx: Context) -> None:
        self.actions.append("discarded")
