"""The idempotent consumer: applies another service's log exactly once, in order.

``Subscription("evaluation")`` on a service consumes the queue
``<ns>.<service>.from.evaluation`` and, for each message:

1. decodes and validates the envelope; a message that is not a valid event (not JSON,
   too large, unknown field, unknown version...) goes straight to the dead-letter queue
   with the error, since retrying cannot fix it;
2. skips it if its position was already applied (a duplicate is acked, nothing else);
3. if ``previous_position`` is past the last position applied here, pulls the missing
   range from the source's log over RPC and applies it first, and goes on only once it
   has (tracking is a high-water mark: going on would skip the rest for good); an entry
   of the source's log that this consumer cannot read is parked at its position;
4. applies it with ``app.receive``: its effects and the tracking record commit together;
5. acks only after that commit.

A failure caused by infrastructure (store or source unreachable) is retried with backoff
for as long as it lasts, holding the message: it will succeed later and must not be
skipped. Any other failure is retried ``consumer.max_attempts`` times; then the event is
published to the dead-letter queue with the error, then parked (its position recorded
as handled, atomically with a ParkedEvent in the log), and the queue keeps flowing. An
event that kills the process itself is found by the crash guard (``crash_guard.py``)
and parked after as many deaths.

nameko's own consumer acks a message whose handler raised, and a body it cannot decode
kills its consumer thread; this one does neither.

A reaction that raises ``AwaitingOtherSource`` (what it needs comes from another
source, not applied here yet) is held and retried like infrastructure, counted as
``waiting``, never parked.
"""

import json
import logging
import socket
import time
import traceback
from datetime import datetime, timezone
from functools import partial

import eventlet
from eventlet.queue import Empty, LightQueue
from kombu.exceptions import MessageStateError, OperationalError as BrokerError
from nameko.extensions import DependencyProvider
from nameko.messaging import QueueConsumer

from services.contracts import ContractViolation, IntegrationEvent, load_event
from services.contracts.signing import Forged

from services.backbone import failpoints
from services.backbone.eventstore.application import AwaitingOtherSource
from services.backbone.keys import ServiceKeys
from services.backbone.messaging.broker import ConfirmedPublisher
from services.backbone.messaging.broker_users import broker_user
from services.backbone.kernel.context import SYSTEM_ACTOR
from services.backbone.messaging.crash_guard import CrashGuard
from services.backbone.messaging.source_log_client import (TRANSIENT, ForgedEntry, SourceLog,
                                                           SourceUnavailable, Unreadable)
from services.backbone.messaging.topology import dead_letter_exchange, inbox_queue, inbox_queue_name

log = logging.getLogger(__name__)

CATCH_UP = object()  # queued at start: pull anything missed while this service was down


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


class InboxQueueConsumer(QueueConsumer):
    """nameko's queue consumer, handing raw messages to the subscription's own ordered
    queue: decoding happens in the subscription, where a bad body is dead-lettered."""

    @property
    def prefetch_count(self):
        return self.container.config["PLATFORM"].consumer.prefetch

    def get_consumers(self, consumer_cls, channel):
        for provider in self._providers:
            consumer = consumer_cls(queues=[provider.queue], on_message=provider.enqueue,
                                    accept=None)
            consumer.qos(prefetch_count=self.prefetch_count)
            self._consumers[provider] = consumer
        return self._consumers.values()


class Subscription(DependencyProvider):
    """Consumes one source service's log into this service's application."""

    queue_consumer = InboxQueueConsumer()
    keys = ServiceKeys()

    def __init__(self, source: str):
        self.source = source

    # -- lifecycle ---------------------------------------------------------------------

    def setup(self):
        platform = self.container.config["PLATFORM"]
        self.settings = platform.consumer
        namespace = platform.broker.namespace
        self.service = self.container.service_name
        self.queue = inbox_queue(namespace, self.service, self.source, self.settings.delivery_limit,
                                 declare=False)
        self.queue_name = inbox_queue_name(namespace, self.service, self.source)
        self.dead_letter_exchange = dead_letter_exchange(namespace).name
        self.dead_letters = ConfirmedPublisher(platform.broker.url)
        self.source_user = broker_user(platform, self.source)
        self.own_user = broker_user(platform, self.service)
        self.source_log = SourceLog(platform, self.service, self.source, self.keys)
        self.pending = LightQueue()
        self.failures: dict[tuple[str, int], int] = {}
        self.outcomes: dict[str, int] = {}
        self.highest_seen = 0  # the highest position of the source seen so far
        self.applied: int | None = None  # the last position applied here, as last read
        self.guard: CrashGuard | None = None  # set up when processing starts
        self._running = False
        self.queue_consumer.register_provider(self)

    def start(self):
        self._running = True
        self.pending.put(CATCH_UP)
        self._thread = self.container.spawn_managed_thread(self._process_forever,
                                                           identifier=f"subscription.{self.source}")

    def stop(self):
        """Stops taking messages, lets the one in hand finish (up to 10 s), then returns:
        the store is closed only after every subscription has stopped."""
        self.queue_consumer.unregister_provider(self)
        self._running = False
        self.pending.put(None)
        with eventlet.Timeout(10, False):
            self._thread.wait()
        self.dead_letters.close()

    def kill(self):
        self._running = False
        self.pending.put(None)

    def get_dependency(self, worker_ctx):
        return self

    @property
    def app(self):
        """The service's application (found once: looking through the container's
        dependencies on every use was a fiftieth of a consumer's time)."""
        found = getattr(self, "_found_app", None)
        if found is not None:
            return found
        from services.backbone.dependencies import EventStore  # the store is set up before subscriptions run

        for dependency in self.container.dependencies:
            if isinstance(dependency, EventStore) and getattr(dependency, "app", None) is not None:
                self._found_app = dependency.app
                return self._found_app
        raise RuntimeError(f"{self.service} has a Subscription but no EventStore")

    def status(self) -> dict:
        """What ops needs to know about this subscription."""
        last = self.app.last_position(self.source)
        return {
            "queue": self.queue_name,
            "last_position": last,
            "highest_seen": self.highest_seen,
            "lag": max(0, self.highest_seen - last),
            "pending_in_process": self.pending.qsize(),
            "outcomes": dict(self.outcomes),
        }

    def _count(self, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        self.app.metrics.events_consumed.labels(self.source, outcome).inc()

    def _seen(self, position: int, applied: int | None = None) -> None:
        """Notes a position seen (and, when the caller knows it, the last position
        applied) and sets the lag gauge. The gauge uses what was last read rather than
        reading the store again: that was two queries for every message."""
        self.highest_seen = max(self.highest_seen, position)
        if applied is not None:
            self.applied = applied
        elif self.applied is None:
            self.applied = self.app.last_position(self.source)
        lag = max(0, self.highest_seen - self.applied)
        self.app.metrics.consumer_lag.labels(self.source).set(lag)

    # -- receiving ---------------------------------------------------------------------

    def enqueue(self, message):
        """Called by the queue consumer for each delivery, in queue order."""
        self.pending.put(message)

    def _process_forever(self):
        while self._running and self.guard is None:
            try:
                self.guard = CrashGuard(self.app, self.source)
            except TRANSIENT as error:  # the store is not there yet: wait for it
                log.warning("%s <- %s: store unavailable at start: %r", self.service, self.source, error)
                eventlet.sleep(self.settings.retry_backoff_seconds)
        if self.guard is not None and self.guard.found:
            log.warning("%s <- %s: the last process died applying #%s..#%s; applying that "
                        "range one event at a time", self.service, self.source,
                        self.guard.found.first, self.guard.found.last)
        while self._running:
            self._process_next()

    def _process_next(self) -> None:
        """Handles the next item, together with the messages waiting behind it."""
        items = self._with_waiting(self.pending.get())
        messages = [item for item in items if item is not None and item is not CATCH_UP]
        if len(messages) > 1 and self._apply_run(messages):
            items = items[len(messages):]
        for item in items:
            if item is not None:
                self._process(item)

    def _with_waiting(self, first) -> list:
        """``first`` and the items waiting behind it, up to ``max_run`` messages, and
        those that arrive within this service's ``consumer.linger_seconds`` of it; a
        marker (stop, catch up) ends the list.

        At a steady 100 messages/s none is waiting when the one before is done, so
        without a linger every message is a commit of its own, and a commit (its fsync,
        the tracking record, the crash guard) is most of what a reaction costs. A
        consumer off the path users wait on (evaluation, funding) lingers a few tens of
        milliseconds and applies what came meanwhile in one transaction; notifications'
        consumer is on every notification's way out and lingers not."""
        items = [first]
        if first is None or first is CATCH_UP:
            return items
        limit = self.settings.max_run
        until = time.monotonic() + self._linger()
        while len(items) < limit:
            if self.pending.qsize():
                items.append(self.pending.get_nowait())
            else:
                left = until - time.monotonic()
                if left <= 0:
                    break
                try:
                    items.append(self.pending.get(timeout=left))
                except Empty:
                    break
            if items[-1] is None or items[-1] is CATCH_UP:
                break
        return items

    def _linger(self) -> float:
        return self.settings.linger_for(self.service)

    def _process(self, item) -> None:
        try:
            if item is CATCH_UP:
                self._catch_up_at_start()
            else:
                self._handle(item)
        except Exception:  # never let one message stop the subscription
            log.exception("error in subscription %s <- %s; the message goes back to "
                          "its queue", self.service, self.source)
            if item is not CATCH_UP and self._alive(item):
                eventlet.sleep(self.settings.retry_backoff_seconds)
                self._settle(self.queue_consumer.requeue_message, item)

    def _apply_run(self, messages) -> bool:
        """Applies messages that were waiting together in one transaction, when they are
        valid events that follow on from what is applied here and from each other:
        one commit instead of one per message, then every ack. False, having written
        nothing, for anything else or any failure: they are handled one at a time,
        with the retries, gap pulls and parking that each may need."""
        if not all(self._alive(m) and "x-replayed-from" not in (m.headers or {}) for m in messages):
            return False
        try:
            events = [self._decode(message) for message in messages]
            previous = self.app.last_position(self.source)
            for event in events:
                if event.position <= previous or (event.previous_position or 0) > previous:
                    return False
                previous = event.position
            first, last = events[0].position, events[-1].position
            guarded = self.guard.needed(first)
            if guarded and first <= self.guard.careful_until:
                return False  # where the last process died: one event at a time
            started = time.monotonic()
            if guarded:
                self.guard.begin(first, last)
            try:
                self.app.receive_run(events)
            finally:
                if guarded:
                    self.guard.end(first, last)
        except Exception as error:  # whatever it is, one at a time will deal with it
            log.info("%s <- %s: %s messages applied one at a time instead of together: %r",
                     self.service, self.source, len(messages), error)
            return False
        failpoints.hit("consumer.after_commit")
        share = (time.monotonic() - started) / len(events)
        for message in messages:
            self._ack(message)
            self._count("applied")
            self.app.metrics.handler_seconds.labels(self.source).observe(share)
        self._seen(events[-1].position, events[-1].position)
        return True

    def _alive(self, message) -> bool:
        return bool(message.channel and message.channel.connection)

    def _handle(self, message):
        if not self._alive(message):
            return  # its channel died; the broker redelivers it
        delivered_before = int((message.headers or {}).get("x-delivery-count", 0) or 0)
        try:
            event = self._decode(message)
        except Forged as forged:  # never applied, and no position moves
            log.error("%s <- %s: refused a forged message (%s): %s", self.service, self.source,
                      message.properties.get("message_id"), forged.reason)
            self._dead_letter_message(message, f"Forged: {forged.reason}", delivered_before + 1,
                                      refused="forged")
            self._count("forged")
            self._ack(message)
            return
        except ContractViolation as violation:
            self._dead_letter_message(message, f"ContractViolation: {violation}", delivered_before + 1)
            self._count("invalid")
            self._ack(message)
            return
        self._seen(event.position)

        backoff = self.settings.retry_backoff_seconds
        transient_delay = backoff
        replayed_by_ops = "x-replayed-from" in (message.headers or {})
        while self._running and self._alive(message):
            try:
                applied = self._apply_in_order(event, replayed_by_ops)
                failpoints.hit("consumer.after_commit")
                self._ack(message)
                self._seen(event.position, applied)
                return
            except AwaitingOtherSource as waiting:
                transient_delay = self._wait(event, waiting, transient_delay)
            except TRANSIENT + (SourceUnavailable,) as error:
                if isinstance(error, ForgedEntry):  # an alert, and still nothing skipped
                    self._count("forged")
                self.app.metrics.handler_failures.labels(self.source, "transient").inc()
                log.warning("%s <- %s#%s: transient failure, retrying in %.1fs: %r",
                            self.service, self.source, event.position, transient_delay, error)
                eventlet.sleep(transient_delay)
                transient_delay = min(transient_delay * 2, 5.0)
            except ApplyFailed as failure:
                earlier = delivered_before if failure.event is event else 0
                if self._give_up(failure, earlier, backoff):
                    if failure.event is event:
                        self._ack(message)
                        return
        # stopping, or the channel died: the message stays unacked and is redelivered

    def _wait(self, event: IntegrationEvent, waiting: AwaitingOtherSource, delay: float) -> float:
        """Holds an event whose precondition another source has not brought yet, and
        returns the next delay (doubling up to 5 s): it never counts towards parking."""
        self.app.metrics.handler_failures.labels(self.source, "waiting").inc()
        log.warning("%s <- %s#%s: waiting, retrying in %.1fs: %s", self.service, self.source,
                    event.position, delay, waiting)
        eventlet.sleep(delay)
        return min(delay * 2, 5.0)

    def _give_up(self, failure: ApplyFailed, delivered_before: int, backoff: float) -> bool:
        """Counts a failure; after max_attempts (at once for a final one) parks the event
        and returns True."""
        event = failure.event
        key = (event.source, event.position)
        self.app.metrics.handler_failures.labels(self.source, "error").inc()
        attempts = self.failures.get(key, delivered_before) + 1
        self.failures[key] = attempts
        if attempts < self.settings.max_attempts and not failure.final:
            log.warning("%s <- %s#%s failed (attempt %s): %r", self.service, event.source,
                        event.position, attempts, failure.cause)
            eventlet.sleep(backoff * 2 ** (attempts - 1))
            return False
        error = "".join(traceback.format_exception_only(type(failure.cause), failure.cause)).strip()
        self._park(event.position, event.type, event.signed or event.to_message(), error, attempts,
                   event.correlation_id, message_id=str(event.event_id))
        self.failures.pop(key, None)
        return True

    def _park(self, position: int, event_type: str, message: dict, error: str, attempts: int,
              correlation_id, message_id: str) -> None:
        """Sends the event to the dead-letter queue, then records its position as handled
        with a ParkedEvent. In that order: a crash between the two leaves the event
        unhandled, to be dead-lettered again (a copy too many for ops, never one too
        few). A store that does not answer is waited for, holding the message, rather
        than counted towards the broker's delivery limit."""
        log.error("%s <- %s#%s dead-lettered after %s attempts: %s", self.service,
                  self.source, position, attempts, error)
        self._publish_dead_letter(message, error, attempts, message_id=message_id)
        delay = self.settings.retry_backoff_seconds
        while True:
            try:
                self.app.park_message(self.source, position, event_type, message, error, attempts,
                                      SYSTEM_ACTOR.context(correlation_id))
                break
            except TRANSIENT as trouble:
                if not self._running:
                    raise
                log.warning("%s <- %s#%s: parking waits for the store: %r", self.service,
                            self.source, position, trouble)
                eventlet.sleep(delay)
                delay = min(delay * 2, 5.0)
        self._count("parked")

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

    def _ack(self, message):
        self._settle(self.queue_consumer.ack_message, message)

    def _settle(self, settle, message) -> None:
        """Acks or requeues. A channel that died meanwhile has given the message back
        to the broker, which delivers it again (then skipped as a duplicate): retrying
        on the dead channel, as a failure to apply, held the subscription for ever."""
        try:
            settle(message)
        except (BrokerError, socket.error, MessageStateError) as error:
            log.warning("%s <- %s: message not settled, its channel is gone (%r); the broker "
                        "delivers it again", self.service, self.source, error)

    # -- applying in order -------------------------------------------------------------------

    def _apply_in_order(self, event: IntegrationEvent, replayed_by_ops: bool = False) -> int:
        """Applies the event after any it missed; returns the last position applied."""
        app = self.app
        last = app.last_position(self.source)
        if event.position <= last:
            # Already handled: a redelivery (skipped), or ops replaying a parked event
            # from the dead-letter queue (applied now, once).
            replayed = replayed_by_ops and self._apply(
                app.replay_parked, event, SYSTEM_ACTOR.context(event.correlation_id))
            self._count("replayed" if replayed else "duplicate")
            return last
        if event.previous_position is not None and event.previous_position > last:
            self._pull_and_apply(after=last, until=event.previous_position)
            if app.last_position(self.source) < event.previous_position:
                # Tracking is a high-water mark: applying this event now would skip the
                # rest of the gap for good. Wait for the source to give it.
                raise SourceUnavailable(f"{self.source} did not give #{event.previous_position}, "
                                        f"which #{event.position} follows")
        applied = self._apply(partial(app.receive, known_new=True), event)
        self._count("applied" if applied else "duplicate")
        return event.position

    def _apply(self, fn, event, *args) -> bool:
        """Applies one event through ``fn``, written down first where the crash guard
        asks (see crash_guard.py); one that killed the process too often is not tried."""
        position = event.position
        guarded = self.guard is not None and self.guard.needed(position)
        if guarded:
            deaths = self.guard.deaths(position)
            if deaths >= self.settings.max_attempts:
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

    def _pull_and_apply(self, after: int, until: int | None) -> None:
        """Pulls the source's events after ``after`` (up to ``until``, or to its head)
        over RPC and applies each in order. Parked events count as handled."""
        app = self.app
        while until is None or after < until:
            events, scanned, head = self.source_log.page_after(after)
            for event in events:
                if until is not None and event.position > until:
                    return
                self._seen(event.position)
                if event.position <= app.last_position(self.source):
                    continue
                if isinstance(event, Unreadable):
                    self._park(event.position, str(event.message.get("type")), event.message,
                               event.error, 1, None, message_id=str(event.message.get("event_id") or ""))
                elif self._apply(app.receive, event):
                    self._count("applied")
                self.applied = event.position
            if scanned <= after or scanned >= head:
                return
            after = scanned

    def _catch_up_at_start(self) -> None:
        """Applies whatever the source published while this service was away (or before
        its queue existed). If the source is down, the next message's gap check does it."""
        try:
            self._pull_and_apply(after=self.app.last_position(self.source), until=None)
        except (SourceUnavailable, AwaitingOtherSource) as error:
            log.info("%s: start-up catch-up from %s skipped: %s", self.service, self.source, error)
        except ApplyFailed as failure:
            if failure.final and self._give_up(failure, 0, 0.0):
                self._catch_up_at_start()  # parked: carry on after it
                return
            log.warning("%s: start-up catch-up from %s stopped at #%s: %r; the queue will "
                        "retry it", self.service, self.source, failure.event.position, failure.cause)

    # -- dead letters ----------------------------------------------------------------------------

    def _dead_letter_message(self, message, error: str, attempts: int, refused: str | None = None) -> None:
        self._publish_dead_letter(message.body, error, attempts,
                                  message_id=message.properties.get("message_id") or "", refused=refused)

    def _publish_dead_letter(self, body, error: str, attempts: int, message_id: str,
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
        self.dead_letters.publish(
            exchange=self.dead_letter_exchange,
            routing_key=self.queue_name,
            body=body if isinstance(body, (bytes, dict)) else str(body).encode(),
            message_id=message_id,
            headers=headers,
        )
