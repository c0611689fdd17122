"""What a consumer sets aside so that its queue keeps flowing.

A message that is not a valid event goes to the dead-letter queue at once. An event
whose reaction fails ``consumer.max_attempts`` times (or that killed the process as
often) goes there too, then is parked: its position recorded as handled, atomically
with a ``ParkedEvent`` in the log, where ops may replay it.
"""

import logging
import traceback
from datetime import datetime, timezone
from typing import Callable

import eventlet

from services.backbone.kernel.context import SYSTEM_ACTOR
from services.backbone.messaging.applying import ApplyFailed, Progress
from services.backbone.messaging.source_log_client import TRANSIENT, Unreadable

log = logging.getLogger(__name__)


class DeadLetters:
    """Publishes to the dead-letter queue of one inbox queue, saying why and from where."""

    def __init__(self, publisher, exchange: str, queue_name: str, source: str, service: str):
        self.publisher = publisher
        self.exchange = exchange
        self.queue_name = queue_name
        self.source = source
        self.service = service

    def publish(self, body, error: str, attempts: int, message_id: str,
                refused: str | None = None) -> None:
        headers = {
            "x-error": error[:4000],
            "x-attempts": attempts,
            "x-original-queue": self.queue_name,
            "x-source": self.source,
            "x-dead-lettered-at": datetime.now(timezone.utc).isoformat(),
            "x-dead-lettered-by": self.service,
            **({"x-refused": refused} if refused else {}),
        }
        self.publisher.publish(
            exchange=self.exchange,
            routing_key=self.queue_name,
            body=body if isinstance(body, (bytes, dict)) else str(body).encode(),
            message_id=message_id,
            headers=headers,
        )

    def close(self) -> None:
        self.publisher.close()


class Parker:
    """Counts the failed attempts at each event, and dead-letters and parks it when
    they are spent; ``running()`` says whether to go on waiting for the store."""

    def __init__(self, app, source: str, settings, dead_letters: DeadLetters,
                 progress: Progress, running: Callable[[], bool]):
        self.app = app
        self.source = source
        self.settings = settings
        self.dead_letters = dead_letters
        self.progress = progress
        self.running = running
        self.failures: dict[tuple[str, int], int] = {}

    def reject(self, message, error: str, attempts: int, refused: str | None = None) -> None:
        """A message that is not a valid event: to the dead-letter queue as it came."""
        self.dead_letters.publish(message.body, error, attempts,
                                  message_id=message.properties.get("message_id") or "",
                                  refused=refused)

    def give_up(self, failure: ApplyFailed, delivered_before: int, backoff: float) -> bool:
        """Counts a failure; after max_attempts (at once for a final one) parks the event
        and returns True."""
        event = failure.event
        key = (event.source, event.position)
        self.app.metrics.handler_failures.labels(self.source, "error").inc()
        attempts = self.failures.get(key, delivered_before) + 1
        self.failures[key] = attempts
        if attempts < self.settings.max_attempts and not failure.final:
            log.warning("%s <- %s#%s failed (attempt %s): %r", self.app.name, event.source,
                        event.position, attempts, failure.cause)
            eventlet.sleep(backoff * 2 ** (attempts - 1))
            return False
        error = "".join(traceback.format_exception_only(type(failure.cause), failure.cause)).strip()
        self.park(event.position, event.type, event.signed or event.to_message(), error, attempts,
                  event.correlation_id, message_id=str(event.event_id))
        self.failures.pop(key, None)
        return True

    def park_unreadable(self, entry: Unreadable) -> None:
        """An entry of the source's log that this consumer cannot read, met in a gap."""
        self.park(entry.position, str(entry.message.get("type")), entry.message, entry.error, 1,
                  None, message_id=str(entry.message.get("event_id") or ""))

    def park(self, position: int, event_type: str, message: dict, error: str, attempts: int,
             correlation_id, message_id: str) -> None:
        """Dead-letters the event, then records its position as handled with a
        ParkedEvent: a crash between the two dead-letters it again, never loses it. A
        store that does not answer is waited for, holding the message."""
        log.error("%s <- %s#%s dead-lettered after %s attempts: %s", self.app.name,
                  self.source, position, attempts, error)
        self.dead_letters.publish(message, error, attempts, message_id=message_id)
        delay = self.settings.retry_backoff_seconds
        while True:
            try:
                self.app.park_message(self.source, position, event_type, message, error, attempts,
                                      SYSTEM_ACTOR.context(correlation_id))
                break
            except TRANSIENT as trouble:
                if not self.running():
                    raise
                log.warning("%s <- %s#%s: parking waits for the store: %r", self.app.name,
                            self.source, position, trouble)
                eventlet.sleep(delay)
                delay = min(delay * 2, 5.0)
        self.progress.count("parked")
