"""The outbox relay: publishes a service's log to the broker, in order, at least once.

A command commits its events to the log and returns; it never talks to the broker. The
relay reads a page of the log past its recorded position, publishes each event that maps
to a contract (persistent, message_id = event id, headers = source and position), waits
until the broker has confirmed them all, and only then records the new position, in the
same store. A crash anywhere
loses nothing: after a restart the relay publishes again from the recorded position, and
consumers skip what they already applied. It runs as soon as a save commits (woken by
the application) and also on a timer, which covers other instances' writes.

With PostgreSQL, several instances of a service may run: the position row is claimed
with ``FOR UPDATE SKIP LOCKED``, so one relay at a time publishes a given log.

With SQLite (one instance per store), the position is held in memory and written at
most every ``save_interval`` seconds while the relay is busy, and once it has been idle
that long: at 100 declarations/s a write (an fsync) after each publication was one of
the two commits of every declaration, and it held the store's one writer lock that the
next declaration waited for. A crash loses at most that interval's position, never an event:
the relay publishes those events again and consumers skip them (their tracking records).
"""

import logging
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterator

from services.backbone import failpoints
from services.backbone.eventstore.stores import is_postgres, side_table
from services.backbone.messaging.topology import events_exchange

log = logging.getLogger(__name__)

LAG_COUNTED = 2000  # relay lag is counted exactly up to this many positions behind


@dataclass
class RelayPosition:
    scanned: int  # last log position handled (published or not publishable)
    published: int | None  # position of the last event published (previous_position)


class RelayState:
    """The relay's position, in a small table of the service's own store."""

    def __init__(self, app, name: str = "relay", save_interval: float = 0.0):
        self.app = app
        self.name = name
        self.postgres = is_postgres(app)
        # SQLite only: PostgreSQL's position is written in the claim's own transaction.
        self.save_interval = 0.0 if self.postgres else save_interval
        self._held: RelayPosition | None = None  # ahead of the table while unsaved
        self.unsaved = False
        self._saved_at = float("-inf")
        self.table, self._ph = side_table(
            app, "outbox_relay", "name TEXT PRIMARY KEY, scanned BIGINT NOT NULL, published BIGINT")
        with app.recorder.datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"INSERT INTO {self.table} (name, scanned, published) "
                f"VALUES ({self._ph}, 0, NULL) ON CONFLICT (name) DO NOTHING",
                (self.name,),
            )

    def flush(self) -> None:
        """Writes the position held in memory, if the table is behind it."""
        if self.unsaved:
            self._write_row(None, self._held)

    def read(self) -> RelayPosition:
        """The position: as last handled by this relay, or as the table has it."""
        if self._held is not None:
            return RelayPosition(self._held.scanned, self._held.published)
        with self.app.recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT scanned, published FROM {self.table} WHERE name = {self._ph}",
                (self.name,),
            )
            row = cursor.fetchone()
        return RelayPosition(row["scanned"], row["published"])

    @contextmanager
    def claim(self) -> Iterator["Claim | None"]:
        """The position, held for this relay while the block runs (None if another
        instance holds it). ``Claim.save`` records progress."""
        if not self.postgres:
            claim = Claim(self, self.read(), cursor=None)
            yield claim
            return
        with self.app.recorder.datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"SELECT scanned, published FROM {self.table} "
                f"WHERE name = {self._ph} FOR UPDATE SKIP LOCKED",
                (self.name,),
            )
            row = cursor.fetchone()
            yield Claim(self, RelayPosition(row["scanned"], row["published"]), cursor) if row else None

    def _write(self, cursor, position: RelayPosition) -> None:
        if self.save_interval:
            self._held, self.unsaved = RelayPosition(position.scanned, position.published), True
            if time.monotonic() - self._saved_at < self.save_interval:
                return  # written by a later turn, or by ``flush`` once the relay is idle
        self._write_row(cursor, position)

    def _write_row(self, cursor, position: RelayPosition) -> None:
        statement = f"UPDATE {self.table} SET scanned = {self._ph}, published = {self._ph} WHERE name = {self._ph}"
        params = (position.scanned, position.published, self.name)
        if cursor is not None:
            cursor.execute(statement, params)
        else:
            with self.app.recorder.datastore.transaction(commit=True) as own_cursor:
                own_cursor.execute(statement, params)
        self._saved_at, self.unsaved = time.monotonic(), False


@dataclass
class Claim:
    state: RelayState
    position: RelayPosition
    cursor: object

    def save(self) -> None:
        self.state._write(self.cursor, self.position)


class OutboxRelay:
    """Moves committed events from the log to the service's exchange."""

    def __init__(self, app, publisher, namespace: str, signer, batch_size: int = 500,
                 poll_interval: float = 1.0, metrics=None, save_interval: float = 0.0):
        self.app = app
        self.publisher = publisher
        self.signer = signer  # the service's own key: consumers trust only what it signed
        self.exchange = events_exchange(namespace, app.name).name
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.state = RelayState(app, save_interval=save_interval)
        self._wakeup = threading.Event()
        self._stopping = threading.Event()
        self.published_count = 0
        self.metrics = metrics
        self.last_error: str | None = None
        # When the failures going on now began: a relay retrying for ever is running,
        # and yet nothing reaches the broker (readiness and sc queues look at this).
        self.failing_since: datetime | None = None
        self._position_unrecorded = False  # last_error is a failed write of the position
        self.running = False
        app.on_save(self.wake)

    def wake(self, recordings=None) -> None:
        """Publishes promptly after a save that has something to publish. A save of
        internal events only (most of a consumer's log) waits for the timer instead:
        waking for it cost a consumer a second commit, the relay's position, for every
        message it applied. Called without recordings, it always wakes."""
        if recordings is None or any(self.app.publications.publishes(r.notification.topic)
                                     for r in recordings):
            self._wakeup.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wakeup.set()

    def lag(self) -> int:
        """Events to publish that the broker does not have yet. Internal events waiting
        for the relay's timer (see ``wake``) do not count; past ``LAG_COUNTED`` log
        positions behind, the distance to the head is returned rather than counted."""
        topics = self.app.publications.topics()
        if not topics:
            return 0  # this service publishes nothing
        scanned = self.state.read().scanned
        behind = max(0, self.app.head() - scanned)
        if behind == 0 or behind > LAG_COUNTED:
            return behind
        return len(self.app.recorder.select_notifications(
            start=scanned, limit=behind, topics=topics, inclusive_of_start=False))

    def failing_for(self) -> float:
        """Seconds since the relay last published (or found nothing to publish) without
        failing, if it has failed since; 0 when its last attempt succeeded."""
        since = self.failing_since
        return 0.0 if since is None else (datetime.now(timezone.utc) - since).total_seconds()

    def status(self) -> dict:
        position = self.state.read()
        return {
            "running": self.running,
            "scanned": position.scanned,
            "published": position.published,
            "head": self.app.head(),
            "lag": self.lag(),
            "published_since_start": self.published_count,
            "last_error": self.last_error,
            "failing_since": self.failing_since.isoformat() if self.failing_since else None,
            "failing_seconds": round(self.failing_for(), 1),
        }

    def run_forever(self) -> None:
        """Publishes until stopped; a failure (broker down) is retried with backoff."""
        self.running = True
        backoff = self.poll_interval
        while not self._stopping.is_set():
            self._wakeup.clear()
            try:
                self.drain()
                self.last_error = self.failing_since = None
                backoff = self.poll_interval
            except Exception as error:  # keep relaying after any failure; never lose position
                self.last_error = f"{type(error).__name__}: {error}"
                self._position_unrecorded = False  # last_error is the publication's now
                self.failing_since = self.failing_since or datetime.now(timezone.utc)
                log.warning("relay of %s failed, retrying in %.1fs: %s",
                            self.app.name, backoff, self.last_error)
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            unsaved = self.state.unsaved
            woken = self._wakeup.wait(self.state.save_interval if unsaved else self.poll_interval)
            if unsaved and not woken:
                self._flush()  # idle for a while: the table catches up
        self._flush()
        self.running = False
        self.publisher.close()

    def _flush(self) -> None:
        """Writes the held position; a failure shows in ``status()`` (ops would otherwise
        see a healthy relay whose table falls behind, to be republished after a crash)."""
        try:
            self.state.flush()
        except Exception as error:  # the store is down: the next idle turn tries again
            self._position_unrecorded = True
            self.last_error = f"position not recorded: {type(error).__name__}: {error}"
            self.failing_since = self.failing_since or datetime.now(timezone.utc)
            log.warning("relay of %s could not record its position: %s", self.app.name, error)
        else:
            if self._position_unrecorded:  # clears its own error, not a publication's
                self._position_unrecorded = False
                self.last_error = self.failing_since = None

    def drain(self) -> None:
        """Publishes page after page until a page comes back short: the head is reached
        (asking once more to hear "nothing" cost two more queries per wake)."""
        while self.publish_pending() >= self.batch_size and not self._stopping.is_set():
            pass

    def publish_pending(self) -> int:
        """Publishes one page of the log past the recorded position, all of it before
        waiting for the confirms, then records the position; returns how many log
        records it handled (0: nothing new, or another instance holds the relay). If an
        event cannot be mapped, what comes before it is published and recorded first."""
        with self.state.claim() as claim:
            if claim is None:
                return 0
            position = claim.position
            notifications = self.app.recorder.select_notifications(
                start=position.scanned, limit=self.batch_size, inclusive_of_start=False
            )
            events, failure = self._events(notifications, position.published)
            handled = len(notifications) if failure is None else notifications.index(failure[0])
            if events:
                failpoints.hit("relay.before_publish")
                self.publisher.publish_all([self._message(event) for event in events])
                failpoints.hit("relay.after_publish")
                position.published = events[-1].position
                self._count(events)
            if handled:
                position.scanned = notifications[handled - 1].id
                claim.save()
        if failure is not None:
            raise failure[1]
        return handled

    def _events(self, notifications, published: int | None):
        """The contract events of these log records, each naming the one before it;
        stops at the first record that cannot be mapped: (events, (record, error))."""
        events = []
        for notification in notifications:
            try:
                event = self.app.integration_event(notification, published)
            except Exception as error:  # published up to here, then the relay retries
                return events, (notification, error)
            if event is not None:
                events.append(event)
                published = notification.id
        return events, None

    def _message(self, event) -> dict:
        return {
            "exchange": self.exchange,
            "routing_key": event.routing_key,
            "body": self.signer.sign(event.to_message()),
            "message_id": str(event.event_id),
            "correlation_id": str(event.correlation_id),
            "headers": {
                "source": event.source,
                "position": event.position,
                "type": event.type,
                "schema_version": event.schema_version,
            },
        }

    def _count(self, events) -> None:
        self.published_count += len(events)
        if self.metrics is not None:
            for event in events:
                self.metrics.events_published.labels(event.type).inc()
