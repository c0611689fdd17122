"""Upstream events set aside after failing N times (parked), kept in the consumer's log.

Parking records the event's position as handled, atomically with the Parked event, so
the stream keeps flowing; the message itself goes to the dead-letter queue for ops. A
replay (ops moves it back to its queue) applies it once and marks it replayed; a discard
marks it discarded. Each step is an event: who, when, why.
"""

import json
from typing import Any

from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError, Tracking

from services.contracts import IntegrationEvent

from services.backbone.eventstore.conflicts import retry_on_conflict
from services.backbone.eventstore.processing import Processing
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


class Parking:
    """A ``ServiceApplication``'s parked events and ops' actions on dead letters."""

    def park(self, event: IntegrationEvent, error: str, attempts: int, ctx: Context) -> bool:
        """Sets an event aside, recording its position as handled. False if the
        position was already handled (applied or parked) meanwhile."""
        return self.park_message(event.source, event.position, event.type, event.to_message(),
                                 error, attempts, ctx)

    def park_message(self, source: str, position: int, event_type: str, message: dict,
                     error: str, attempts: int, ctx: Context) -> bool:
        """``park`` for a message read from the source's own log that this service
        cannot read as an event (a version it does not know yet): its position is
        certain, since the source said so, though its content could not be checked."""
        parked = ParkedEvent(
            source=source, position=position, event_type=event_type,
            message=message, error=error[:4000], attempts=attempts, ctx=ctx,
        )
        processing = Processing(tracking=Tracking(source, position))
        processing.collect_events(parked)
        try:
            self._commit(processing)
        except IntegrityError:
            return False
        return True

    def parked(self, source: str, position: int) -> ParkedEvent | None:
        return self.find(ParkedEvent.create_id(source, position), ParkedEvent)

    @retry_on_conflict
    def record_dead_letter_action(self, *, queue: str, message_id: str, error: str,
                                  body: bytes, action: str, reason: str, ctx: Context) -> None:
        """Audits an ops action on a dead letter; a discarded parked event is marked
        discarded too, so nobody replays it by mistake later."""
        record_id = DeadLetterRecord.create_id(queue, message_id)
        if record_id in self.repository:
            record = self.repository.get(record_id)
        else:
            record = DeadLetterRecord(queue=queue, message_id=message_id, error=error[:4000], ctx=ctx)
        changed = [record]
        if action == "replay":
            record.replayed(ctx=ctx, reason=reason)
        else:
            record.discarded(reason=reason, ctx=ctx)
            parked = self._parked_for(body)
            if parked is not None and parked.state == "parked":
                parked.discarded(reason=reason, ctx=ctx)
                changed.append(parked)
        self.save(*changed)

    def _parked_for(self, body: bytes) -> ParkedEvent | None:
        try:
            data = json.loads(body)
            return self.parked(str(data["source"]), int(data["position"]))
        except (ValueError, KeyError, TypeError, RecursionError):  # not an event: nothing parked
            return None
