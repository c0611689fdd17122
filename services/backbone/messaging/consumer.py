"""The idempotent consumer of one source: its messages applied exactly once, in order.

For each message: decode and validate (a message that is not a valid event is
dead-lettered at once); skip a position already applied; fill a gap before it from the
source's log (``gap_filler.py``); apply it, its effects and tracking committing together;
ack only after that commit. Infrastructure failures and ``AwaitingOtherSource`` are
waited out, holding the message; any other failure is retried, then parked
(``parking.py``). Messages waiting together are applied as one run (``runs.py``).
"""

import json
import logging
import socket
import time
from functools import partial

import eventlet
from kombu.exceptions import MessageStateError, OperationalError as BrokerError

from services.contracts import ContractViolation, IntegrationEvent, load_event
from services.contracts.signing import Forged

from services.backbone import failpoints
from services.backbone.eventstore.application import AwaitingOtherSource
from services.backbone.kernel.context import SYSTEM_ACTOR
from services.backbone.messaging.applying import ApplyFailed, Applier, Progress
from services.backbone.messaging.crash_guard import CrashGuard
from services.backbone.messaging.gap_filler import GapFiller
from services.backbone.messaging.parking import DeadLetters, Parker
from services.backbone.messaging.runs import CATCH_UP, RunCollector, is_marker
from services.backbone.messaging.source_log_client import (TRANSIENT, ForgedEntry, SourceLog,
                                                           SourceUnavailable)

log = logging.getLogger(__name__)


def alive(message) -> bool:
    return bool(message.channel and message.channel.connection)


class Consumer:
    """Applies the deliveries of ``runs`` to ``app``; ``ack`` and ``requeue`` settle them.
    ``keys.keyring`` holds the source's keys, ``users`` its broker user and this service's."""

    def __init__(self, app, source: str, settings, runs: RunCollector, dead_letters: DeadLetters,
                 source_log: SourceLog | None, *, keys, users: tuple[str, str], ack, requeue):
        self.app, self.source, self.settings, self.runs = app, source, settings, runs
        self.keys, (self.source_user, self.own_user) = keys, users
        self.ack_message, self.requeue_message = ack, requeue
        self.running = True
        self.progress = Progress(app, source)
        self.applier = Applier(app, source, settings.max_attempts)
        self.parker = Parker(app, source, settings, dead_letters, self.progress, lambda: self.running)
        self.gaps = GapFiller(app, source, source_log, self.applier, self.parker, self.progress)

    def run_forever(self) -> None:
        while self.running and self.applier.guard is None:
            try:
                self.applier.guard = CrashGuard(self.app, self.source)
            except TRANSIENT as error:  # the store is not there yet: wait for it
                log.warning("%s <- %s: store unavailable at start: %r", self.app.name, self.source, error)
                eventlet.sleep(self.settings.retry_backoff_seconds)
        guard = self.applier.guard
        if guard is not None and guard.found:
            log.warning("%s <- %s: the last process died applying #%s..#%s; applying that "
                        "range one event at a time", self.app.name, self.source,
                        guard.found.first, guard.found.last)
        while self.running:
            self.process_next()

    def process_next(self) -> None:
        """Handles the next item, together with the messages waiting behind it."""
        items = self.runs.take()
        messages = [item for item in items if not is_marker(item)]
        if len(messages) > 1 and self._apply_run(messages):
            items = items[len(messages):]
        for item in items:
            if item is not None:
                self._process(item)

    def _process(self, item) -> None:
        try:
            if item is CATCH_UP:
                self.gaps.catch_up_at_start()
            else:
                self._handle(item)
        except Exception:  # never let one message stop the subscription
            log.exception("error in subscription %s <- %s; the message goes back to "
                          "its queue", self.app.name, self.source)
            if item is not CATCH_UP and alive(item):
                eventlet.sleep(self.settings.retry_backoff_seconds)
                self._settle(self.requeue_message, item)

    def _apply_run(self, messages) -> bool:
        """Applies messages that waited together in one transaction, when they are valid
        events that follow on from what is applied here and from each other, then acks
        them all. False, having written nothing, otherwise: then one at a time."""
        if not all(alive(m) and "x-replayed-from" not in (m.headers or {}) for m in messages):
            return False
        try:
            events = [self._decode(message) for message in messages]
            previous = self.app.last_position(self.source)
            for event in events:
                if event.position <= previous or (event.previous_position or 0) > previous:
                    return False
                previous = event.position
            started = time.monotonic()
            if not self.applier.run(events):
                return False  # where the last process died: one event at a time
        except Exception as error:  # whatever it is, one at a time will deal with it
            log.info("%s <- %s: %s messages applied one at a time instead of together: %r",
                     self.app.name, self.source, len(messages), error)
            return False
        failpoints.hit("consumer.after_commit")
        share = (time.monotonic() - started) / len(events)
        for message in messages:
            self._ack(message)
            self.progress.count("applied")
            self.app.metrics.handler_seconds.labels(self.source).observe(share)
        self.progress.seen(events[-1].position, events[-1].position)
        return True

    def _handle(self, message) -> None:
        if not alive(message):
            return  # its channel died; the broker redelivers it
        delivered_before = int((message.headers or {}).get("x-delivery-count", 0) or 0)
        try:
            event = self._decode(message)
        except Forged as forged:  # never applied, and no position moves
            log.error("%s <- %s: refused a forged message (%s): %s", self.app.name, self.source,
                      message.properties.get("message_id"), forged.reason)
            self._refuse(message, f"Forged: {forged.reason}", delivered_before + 1, "forged", "forged")
            return
        except ContractViolation as violation:
            self._refuse(message, f"ContractViolation: {violation}", delivered_before + 1, "invalid")
            return
        self.progress.seen(event.position)
        backoff = transient_delay = self.settings.retry_backoff_seconds
        replayed_by_ops = "x-replayed-from" in (message.headers or {})
        while self.running and alive(message):
            try:
                applied = self._apply_in_order(event, replayed_by_ops)
                failpoints.hit("consumer.after_commit")
                self._ack(message)
                self.progress.seen(event.position, applied)
                return
            except AwaitingOtherSource as waiting:
                transient_delay = self._wait(event, "waiting", transient_delay, waiting)
            except TRANSIENT + (SourceUnavailable,) as error:
                if isinstance(error, ForgedEntry):  # an alert, and still nothing skipped
                    self.progress.count("forged")
                transient_delay = self._wait(event, "transient", transient_delay, repr(error))
            except ApplyFailed as failure:
                earlier = delivered_before if failure.event is event else 0
                if self.parker.give_up(failure, earlier, backoff) and failure.event is event:
                    self._ack(message)
                    return
        # stopping, or the channel died: the message stays unacked and is redelivered

    def _refuse(self, message, error: str, attempts: int, outcome: str, refused: str | None = None) -> None:
        """Dead-letters a message that is not a valid event of the source, and acks it."""
        self.parker.reject(message, error, attempts, refused=refused)
        self.progress.count(outcome)
        self._ack(message)

    def _wait(self, event: IntegrationEvent, kind: str, delay: float, why) -> float:
        """Holds an event that will succeed later (infrastructure, or what another
        source has not brought yet) and returns the next delay: never counted."""
        self.app.metrics.handler_failures.labels(self.source, kind).inc()
        log.warning("%s <- %s#%s: %s, retrying in %.1fs: %s", self.app.name, self.source,
                    event.position, kind, delay, why)
        eventlet.sleep(delay)
        return min(delay * 2, 5.0)

    def _apply_in_order(self, event: IntegrationEvent, replayed_by_ops: bool = False) -> int:
        """Applies the event after any it missed; returns the last position applied."""
        app = self.app
        last = app.last_position(self.source)
        if event.position <= last:
            # Already handled: a redelivery (skipped), or ops replaying a parked event
            # from the dead-letter queue (applied now, once).
            replayed = replayed_by_ops and self.applier.one(
                app.replay_parked, event, SYSTEM_ACTOR.context(event.correlation_id))
            self.progress.count("replayed" if replayed else "duplicate")
            return last
        if event.previous_position is not None and event.previous_position > last:
            self.gaps.pull_and_apply(after=last, until=event.previous_position)
            if app.last_position(self.source) < event.previous_position:
                # Applying this event now would skip the rest of the gap for good.
                raise SourceUnavailable(f"{self.source} did not give #{event.previous_position}, "
                                        f"which #{event.position} follows")
        applied = self.applier.one(partial(app.receive, known_new=True), event)
        self.progress.count("applied" if applied else "duplicate")
        return event.position

    def _decode(self, message) -> IntegrationEvent:
        """The event a message carries, once its sender and its signature are its
        source's (``Forged`` otherwise) and it satisfies the contract."""
        self._check_publisher(message)
        body = message.body
        limit = self.settings.max_message_bytes
        if len(body) > limit:
            raise ContractViolation({"_message": [f"Message of {len(body)} bytes exceeds {limit}."]})
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError) as error:
            raise ContractViolation({"_message": [f"Body is not valid JSON: {error}."]}) from None
        except RecursionError:  # the parser recurses once per level: not an event, never will be
            raise ContractViolation({"_message": ["Body nests too deep to be read."]}) from None
        self.keys.keyring.verify(data, self.source)
        event = load_event(data)
        if event.source != self.source:
            raise ContractViolation({"source": [f"Expected events of {self.source}, got {event.source}."]})
        return event

    def _check_publisher(self, message) -> None:
        """The broker vouches for ``user_id``: the source's user published it, or this
        service's own user put a dead letter back (a replay, checked by its signature)."""
        publisher = message.properties.get("user_id")
        replayed = "x-replayed-from" in (message.headers or {})
        if publisher != self.source_user and not (replayed and publisher == self.own_user):
            raise Forged(f"published by broker user {publisher or '(none)'}, not by "
                         f"{self.source}'s ({self.source_user})")

    def _ack(self, message) -> None:
        self._settle(self.ack_message, message)

    def _settle(self, settle, message) -> None:
        """Acks or requeues. A channel that died meanwhile has given the message back to
        the broker, which delivers it again: retrying on it would hold the consumer."""
        try:
            settle(message)
        except (BrokerError, socket.error, MessageStateError) as error:
            log.warning("%s <- %s: message not settled, its channel is gone (%r); the broker "
                        "delivers it again", self.app.name, self.source, error)
