"""The backfill runner: delivers a subscription's history from the sources' published
logs, paced, through the same deliveries as live events (``backfill_state`` says which
events it takes and how it hands over to the live path).

Each step reads the logs after the positions the subscription's log records, merges
the sources by when their events occurred (each source in its log's order), keeps
what the subscription's filter passes, and commits the deliveries together with the
new positions (``BackfillAdvanced``): a process killed at any point resumes from the
last commit, and a delivery exists once per (subscription, event) because its id is
derived from both and the board is asked first. It never reads a source past what
the live path has applied here, so the facts of every base it names are known.

Pacing: a step schedules at most a fifth of a second's worth of deliveries at the
backfill's rate, and the next step of that subscription waits until the rate allows;
events the filter refuses cost nothing but reading.
"""

import logging
import threading
import time
from collections import deque
from datetime import datetime, timezone
from uuid import UUID

import eventlet
from eventsourcing.persistence import IntegrityError

from services.backbone import failpoints
from services.backbone.eventstore.processing import Processing
from services.backbone.kernel.context import SYSTEM_ACTOR
from services.backbone.messaging.source_log_client import SourceLog, Unreadable
from services.backbone.messaging.subscription import Subscription as SourceSubscription
from services.contracts import CATALOG

from . import backfill_state
from .background import BackgroundLoop
from .backfill_commands import SOURCES
from .domain import BackfillFence, Subscription
from .views import DeliveryBoard, SubscriptionDirectory

log = logging.getLogger(__name__)

STEP_SECONDS = 0.2  # a step schedules at most this long's worth of deliveries
MAX_SCANNED = 2000  # log entries one step reads at most, delivered or not
EARLIEST = datetime.min.replace(tzinfo=timezone.utc)


class Backfiller:
    """Runs every open backfill a step at a time; plain object, testable without nameko.
    ``source_logs``: a ``SourceLog`` per source, read as this service."""

    def __init__(self, app, source_logs: dict[str, SourceLog], *, poll_interval: float = 1.0):
        self.app = app
        self.source_logs = source_logs
        self.poll_interval = poll_interval
        self.buffers: dict[UUID, dict[str, "SourceBuffer"]] = {}
        self.next_step: dict[UUID, float] = {}  # monotonic time each may step again
        # Each step's subscription as last committed, not read again: its log grows by a
        # BackfillAdvanced a step. A change by anyone else fails the next commit, which
        # reads it afresh.
        self.held: dict[UUID, Subscription] = {}
        self._wakeup = threading.Event()
        self._stopping = threading.Event()
        self.running = False
        self.last_error: str | None = None
        self.failures = 0  # steps that failed in the current turn

    def wake(self, *_recordings) -> None:
        self._wakeup.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wakeup.set()

    def status(self) -> dict:
        return {"running": self.running, "last_error": self.last_error,
                "open": len(self.next_step)}

    def run_forever(self) -> None:
        """Steps the open backfills until stopped; a failure (a source down, the store)
        is retried on a later turn from what the log recorded."""
        self.running = True
        while not self._stopping.is_set():
            self._wakeup.clear()
            try:
                self.failures = 0
                pause = self.turn()
                if not self.failures:  # every step of this turn went through
                    self.last_error = None
            except Exception as error:  # keep going; nothing is lost, positions are in the log
                self.last_error = f"{type(error).__name__}: {error}"
                log.warning("backfill failed, retrying in %.1fs: %s", self.poll_interval, self.last_error)
                self.buffers.clear()
                self.held.clear()
                pause = self.poll_interval
            if pause > 0:
                self._wakeup.wait(pause)
            else:
                eventlet.sleep(0)  # let the live path and the sender have their turn
        self.running = False

    def turn(self) -> float:
        """One step of each open backfill that its rate allows now; how long until the
        next one may step (the poll interval if none is open)."""
        (directory,) = self.app.views.caught_up(SubscriptionDirectory)
        open_ids = directory.backfilling()
        for gone in set(self.next_step) - set(open_ids):
            self.next_step.pop(gone, None)
            self.forget(gone)
        pause = self.poll_interval
        for subscription_id in open_ids:
            if self._stopping.is_set():
                break
            now = time.monotonic()
            ready_at = self.next_step.get(subscription_id, now)
            if ready_at <= now:  # counted from the commit: a slow read must not make up time
                wait = self._step_alone(subscription_id)
                ready_at = self.next_step[subscription_id] = time.monotonic() + wait
            pause = min(pause, max(0.0, ready_at - time.monotonic()))
        return pause

    def _step_alone(self, subscription_id: UUID) -> float:
        """A step whose failure (a source down, an event about a base notifications has
        not heard of yet) holds back that backfill only, until the poll interval passes."""
        try:
            return self.step(subscription_id)
        except Exception as error:  # nothing is lost: its positions are in the log
            self.failures += 1
            self.last_error = f"{subscription_id}: {type(error).__name__}: {error}"
            log.warning("backfill of subscription %s failed, retrying in %.1fs: %s",
                        subscription_id, self.poll_interval, error)
            self.forget(subscription_id)
            return self.poll_interval

    def step(self, subscription_id: UUID) -> float:
        """Handles the next events of one backfill; returns how long it waits before its
        next step (the time its deliveries took at its rate; the poll interval when it
        waits for the live path to apply more)."""
        subscription = self.held.get(subscription_id) or self.app.find(subscription_id, Subscription)
        state = subscription.backfill if subscription is not None else None
        if subscription is None or not subscription.active or not backfill_state.is_open(state):
            return self.poll_interval
        applied = {s: self.app.last_position(s) for s in SOURCES}
        waiting = [s for s in SOURCES if s not in state["caught_up"]]
        for source in waiting:
            if state["positions"][source] >= applied[source]:
                self.catch_up(subscription_id, source)
                return 0.0
        return self._deliver_next(subscription, state, applied, waiting)

    def _deliver_next(self, subscription, state: dict, applied: dict, waiting: list) -> float:
        buffers = self.buffers.setdefault(subscription.id, {})
        for source in waiting:
            buffer = buffers.get(source)
            if buffer is None or buffer.position != state["positions"][source]:
                buffer = buffers[source] = SourceBuffer(self.source_logs[source], state["positions"][source])
            buffer.fill(applied[source])
        directory, board = self.app.views.caught_up(SubscriptionDirectory, DeliveryBoard)
        candidate = next((s for s in directory.active() if s.subscription_id == subscription.id), None)
        if candidate is None:
            return self.poll_interval
        allowed = max(1, int(state["rate"] * STEP_SECONDS))
        processing, positions, deliveries, scanned = Processing(), {}, [], 0
        now = self.app.clock()
        while len(deliveries) < allowed and scanned < MAX_SCANNED:
            source = _earliest(buffers, waiting)
            if source is None:
                break
            entry = buffers[source].take()
            positions[source] = entry.position
            scanned += 1
            if isinstance(entry, Unreadable) or not CATALOG[entry.type].deliverable or \
                    not backfill_state.wants(state, entry):
                continue  # a parked entry is the live path's to report; not for this backfill
            for delivery in self.app.new_deliveries(entry, [candidate], board, processing, now):
                processing.collect_events(delivery)
                deliveries.append(delivery)
        if not positions:
            return self.poll_interval  # the live path has not applied more yet
        subscription.advance_backfill(positions=positions, delivered=len(deliveries),
                                      ctx=SYSTEM_ACTOR.context())
        processing.collect_events(subscription)
        failpoints.hit("notifications.before_backfill_commit")
        try:
            self.app._commit(processing)
        except IntegrityError:  # changed or cancelled meanwhile: read again next step
            self.forget(subscription.id)
            return 0.0
        self.held[subscription.id] = subscription
        for source, position in positions.items():
            buffers[source].position = position
        return len(deliveries) / state["rate"]

    def forget(self, subscription_id: UUID) -> None:
        """Drops what is held of a backfill; the next step reads it from the log."""
        self.buffers.pop(subscription_id, None)
        self.held.pop(subscription_id, None)

    def catch_up(self, subscription_id: UUID, source: str) -> None:
        """Hands ``source`` over to the live path if the backfill has read all that the
        live path applied. The fence is read before what was applied: a live event
        left to the backfill after that read is written on the fence too, so one of
        the two commits is refused (``BackfillFence``)."""
        self.held.pop(subscription_id, None)
        subscription = self.app.find(subscription_id, Subscription)
        state = subscription.backfill
        fence = self.app.find(BackfillFence.create_id(subscription_id, source, state["number"]),
                              BackfillFence)
        position = state["positions"][source]
        if source in state["caught_up"] or position < self.app.last_position(source):
            return
        ctx = SYSTEM_ACTOR.context()
        fence.hand_over(position=position, ctx=ctx)
        subscription.backfill_caught_up(source=source, at=self.app.clock(), ctx=ctx)
        failpoints.hit("notifications.before_backfill_handover")
        try:
            self.app.save(subscription, fence)
        except IntegrityError:
            return  # a live event was left to it meanwhile: read on, and try again
        self.buffers.get(subscription_id, {}).pop(source, None)


class SourceBuffer:
    """The entries of one source's log after ``position`` read so far, up to a limit."""

    def __init__(self, source_log: SourceLog, position: int):
        self.source_log = source_log
        self.position = position  # handled and committed up to here
        self.read_to = position
        self.entries: deque = deque()

    def fill(self, limit: int) -> None:
        """Reads a page when nothing is buffered and the log has more up to ``limit``."""
        if self.entries or self.read_to >= limit:
            return
        entries, scanned, _head = self.source_log.page_after(self.read_to)
        kept = [e for e in entries if e.position <= limit]
        self.entries.extend(kept)
        self.read_to = limit if len(kept) < len(entries) else max(self.read_to, min(scanned, limit))

    def take(self):
        return self.entries.popleft()

    def head_key(self):
        entry = self.entries[0]
        return EARLIEST if isinstance(entry, Unreadable) else entry.occurred_at


def _earliest(buffers: dict[str, SourceBuffer], sources: list[str]) -> str | None:
    """The source whose next entry occurred first; None when nothing is buffered."""
    ready = [s for s in sources if s in buffers and buffers[s].entries]
    return min(ready, key=lambda s: (buffers[s].head_key(), SOURCES.index(s)), default=None)


class BackfillRunner(BackgroundLoop):
    """Runs the ``Backfiller`` beside the service's EventStore, reading each source's
    log through the client its consumer uses."""

    identifier = "backfill"

    def build(self, app) -> Backfiller:
        logs = {d.source: d.source_log for d in self.container.dependencies
                if isinstance(d, SourceSubscription)}
        missing = sorted(set(SOURCES) - set(logs))
        if missing:
            raise RuntimeError(f"backfills read {', '.join(missing)}, which this service does not consume")
        settings = self.container.config["PLATFORM"].notifications
        backfiller = Backfiller(app, logs, poll_interval=settings.poll_interval_seconds)
        app.backfiller = backfiller  # health checks and /ops/status read its state
        return backfiller
