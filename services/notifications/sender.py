"""The background sender: attempts due deliveries, records every outcome in the log.

Like the outbox relay, it is woken after every commit of the application (a new
delivery, a re-send) and on a timer (the next retry falling due, other instances'
writes). Each attempt is claimed by writing ``AttemptStarted`` (optimistic concurrency:
one claimant wins), then sent, then closed by ``Delivered`` or ``AttemptFailed``; what
falls due together is claimed in one transaction, and what finishes together is closed
in one. A delivery's first attempt is usually claimed by the consumer, in the very
transaction that schedules the delivery, and handed here once that has committed
(``accept``): one commit, and one wait for the disk, less on every notification's way
out. If the process dies in between, the attempt's lease runs out and the next
sender records it as interrupted and tries again: at least once to the receiver, which
de-duplicates by the delivery id it is given on every attempt.

Deliveries to different subscribers and bases go out concurrently (a green pool); for
one subscriber and one base the board hands out one at a time, in the order their
events were applied here (each source's log order; across sources, not defined).
"""

import logging
import threading
from collections import deque
from uuid import UUID

import eventlet
from eventlet.greenpool import GreenPool

from services.backbone import failpoints

from .background import BackgroundLoop

from .channels import ChannelUnavailable, Channels, DeliveryFailed
from .domain import Dispatch, Outcome
from .matching import RetryPolicy

log = logging.getLogger(__name__)


class Sender:
    """Sends what the application says is due; plain object, testable without nameko."""

    def __init__(self, app, channels: Channels, policy: RetryPolicy, *,
                 poll_interval: float = 1.0, concurrency: int = 10):
        self.app = app
        self.channels = channels
        self.policy = policy
        self.poll_interval = poll_interval
        self.pool = GreenPool(concurrency)
        self.in_flight: set[UUID] = set()  # claimed or being claimed, until recorded
        self.finished: list[Outcome] = []  # attempts over, outcomes not yet recorded
        self.handed: deque[Dispatch] = deque()  # claimed by the consumer, waiting for room
        self._wakeup = threading.Event()
        self._stopping = threading.Event()
        self.running = False
        self.sent_count = 0
        self.last_error: str | None = None

    def status(self) -> dict:
        """For ops (authenticated): whether it runs and, if its last turn failed, why."""
        return {"running": self.running, "last_error": self.last_error,
                "in_flight": len(self.in_flight), "waiting_for_room": len(self.handed),
                "sent": self.sent_count}

    def wake(self, *_recordings) -> None:
        self._wakeup.set()

    @property
    def accepting(self) -> bool:
        """Whether attempts claimed elsewhere will be sent: it runs and is not stopping."""
        return self.running and not self._stopping.is_set()

    def room(self) -> int:
        """How many more attempts may start now: the pool's free places, less the
        attempts handed over that wait for one."""
        return self.pool.free() - len(self.handed)

    def accept(self, dispatches: list[Dispatch]) -> None:
        """Sends attempts whose claim another step has committed (the consumer's first
        attempts), at once where the pool has room, else as soon as a place frees:
        before anything newly due is claimed, and well within the lease (a place frees
        within one attempt's timeout, which the lease exceeds). Never blocks."""
        for dispatch in dispatches:
            self.in_flight.add(dispatch.delivery_id)
            self.handed.append(dispatch)
        self._start_handed()

    def _start_handed(self) -> None:
        while self.handed and self.pool.free() > 0:
            self.pool.spawn_n(self._attempt, self.handed.popleft())

    def stop(self) -> None:
        self._stopping.set()
        self._wakeup.set()

    def run_forever(self) -> None:
        """Dispatches until stopped; a failure of the store is retried on the next turn."""
        self.running = True
        while not self._stopping.is_set():
            self._wakeup.clear()
            try:
                self.record_finished()
                pause = self.dispatch_due()
                self.last_error = None
            except Exception as error:  # keep sending after any failure; the log is intact
                self.last_error = f"{type(error).__name__}: {error}"
                log.warning("delivery sender failed, retrying in %.1fs: %s",
                            self.poll_interval, self.last_error)
                pause = self.poll_interval
            self._wakeup.wait(pause)
        with eventlet.Timeout(10, False):
            self.pool.waitall()
        try:
            self.record_finished()
        except Exception:
            log.exception("outcomes of the last attempts could not be recorded")
        self.running = False

    def dispatch_due(self) -> float:
        """Claims the due deliveries (as many as the pool has room for) in one go and
        starts an attempt for each; returns how long to sleep before the next one falls
        due."""
        if not self._stopping.is_set():
            self._start_handed()
        now = self.app.clock()
        due, upcoming = self.app.attempts.due(now, exclude=set(self.in_flight))
        chosen = [] if self._stopping.is_set() else due[:max(0, self.room())]
        if chosen:  # what is left waits for a finishing attempt, which wakes the loop
            self.in_flight.update(chosen)
            try:
                dispatches = self.app.attempts.take(chosen, self.policy)
            finally:
                self.in_flight.difference_update(chosen)
            for dispatch in dispatches:
                self.in_flight.add(dispatch.delivery_id)
                self.pool.spawn_n(self._attempt, dispatch)
        if upcoming is None:
            return self.poll_interval
        return max(0.0, min(self.poll_interval, (upcoming - now).total_seconds()))

    def record_finished(self) -> None:
        """Records the outcomes of the attempts that finished since the last turn, in one
        transaction (while it commits, the next ones gather). Should the store fail, the
        attempts' leases run out and they are tried again as interrupted: at least once."""
        if not self.finished:
            return
        outcomes, self.finished = self.finished, []
        try:
            self.app.attempts.record_outcomes(outcomes, self.policy)
        finally:
            self.in_flight.difference_update(o.dispatch.delivery_id for o in outcomes)

    def _attempt(self, dispatch: Dispatch) -> None:
        try:
            outcome = self.send(dispatch)
        except Exception as error:  # around the channel (a failpoint, a bug): it may have
            log.exception("attempt of delivery %s failed", dispatch.delivery_id)  # arrived
            outcome = Outcome(dispatch, delivered=False, detail=f"{type(error).__name__}: {error}")
        self.finished.append(outcome)
        self.wake()

    def send(self, dispatch: Dispatch) -> Outcome:
        """One attempt over its channel; the outcome is recorded by the caller."""
        failpoints.hit("notifications.before_send")
        try:
            detail = self.channels.send(dispatch)
        except ChannelUnavailable as error:
            return Outcome(dispatch, delivered=False, detail=str(error), counted=False)
        except DeliveryFailed as error:
            return Outcome(dispatch, delivered=False, detail=str(error))
        except Exception as error:  # a bug in a channel must not keep retrying forever
            log.exception("channel %s failed unexpectedly", dispatch.channel)
            return Outcome(dispatch, delivered=False, detail=f"{type(error).__name__}: {error}")
        failpoints.hit("notifications.after_send")
        self.sent_count += 1
        return Outcome(dispatch, delivered=True, detail=detail)

    def deliver(self, delivery_id: UUID) -> None:
        """One attempt of one delivery, start to end, in the caller's thread: claim,
        send, record the outcome."""
        for dispatch in self.app.attempts.take([delivery_id], self.policy):
            self.app.attempts.record_outcomes([self.send(dispatch)], self.policy)


class DeliverySender(BackgroundLoop):
    """Runs the ``Sender`` beside the service's EventStore for as long as it runs."""

    identifier = "delivery-sender"
    stop_timeout = 15

    def setup(self):
        super().setup()
        settings = self.container.config["PLATFORM"].notifications
        channels = Channels.from_config(settings)
        self.settings = settings
        self.channels = channels
        self.policy = RetryPolicy.from_config(settings, channels.deadlines)

    def build(self, app) -> Sender:
        sender = Sender(app, self.channels, self.policy,
                        poll_interval=self.settings.poll_interval_seconds,
                        concurrency=self.settings.concurrency)
        app.sender = sender  # health checks read its state
        return sender
