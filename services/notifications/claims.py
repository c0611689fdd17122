"""First attempts claimed by the consumer in the transaction that schedules their
deliveries (one commit less per notification, docs/benchmark-rounds.md round 7), and
the keys they reserve until the delivery board shows the claims."""

import logging
import weakref
from dataclasses import dataclass, field
from datetime import datetime

from eventsourcing.application import ProcessingEvent

from services.backbone.kernel.context import Context

from .domain import Delivery, Dispatch, Subscription
from .views import DeliveryBoard

log = logging.getLogger(__name__)


@dataclass(eq=False)
class TransactionClaims:
    """The keys one transaction scheduled deliveries for, and the attempts it claimed."""

    scheduled: set = field(default_factory=set)
    dispatches: list[Dispatch] = field(default_factory=list)


class FirstAttempts:
    """First attempts claimed by transactions, and the keys (subscription, subject) they
    reserve: weakly while uncommitted (a failed one reserves nothing), then until the
    board shows the claim, lest another consumer claim beside it (two in flight)."""

    def __init__(self, app):
        self.app = app
        self._transactions: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._claiming: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
        self._unshown: list[tuple[int, TransactionClaims]] = []  # committed, not on the board yet

    def _of(self, processing: ProcessingEvent) -> TransactionClaims:
        claims = self._transactions.get(processing)
        if claims is None:
            claims = self._transactions[processing] = TransactionClaims()
        return claims

    def claim(self, delivery: Delivery, board: DeliveryBoard, processing: ProcessingEvent,
              now: datetime, ctx: Context) -> None:
        """Claims a new delivery's first attempt in ``processing``, with the same
        ``AttemptStarted`` and lease as the sender's own claim (a crash after the commit
        ends as one after the sender's claim does). Left to the sender: a delivery of a
        key open on the board, scheduled earlier in this transaction or being claimed by
        another, and any while the sender has no room."""
        sender = self.app.sender
        if sender is None or not sender.accepting or delivery.status != "pending":
            return  # no sender here (tools, tests), or an inbox item, delivered already
        claims = self._of(processing)
        key = (delivery.subscription_id, delivery.subject or delivery.id)
        waits = (key in claims.scheduled or board.has_open(*key)
                 or self._claiming.get(key, claims) is not claims)
        claims.scheduled.add(key)
        if waits or sender.room() - len(claims.dispatches) <= 0:
            return
        subscription = self.app.require(delivery.subscription_id, Subscription, "subscription")
        delivery.begin_attempt(now=now, policy=sender.policy, ctx=ctx)
        claims.dispatches.append(Dispatch.of(delivery, subscription))
        self._claiming[key] = claims

    def claimed_in(self, processing: ProcessingEvent) -> list[Dispatch]:
        claims = self._transactions.get(processing)
        return claims.dispatches if claims is not None else []

    def scheduled_in(self, processing: ProcessingEvent) -> set:
        claims = self._transactions.get(processing)
        return claims.scheduled if claims is not None else set()

    def reserved(self, key: tuple) -> bool:
        return key in self._claiming

    @property
    def holding(self) -> bool:
        """Whether committed transactions still wait for the board to show their claims."""
        return bool(self._unshown)

    def committed(self, processing: ProcessingEvent, recordings) -> None:
        """After the commit's listeners (the views' ``follow`` first) have run: the
        transaction's keys are released once the board shows its claims."""
        claims = self._transactions.get(processing)
        if claims is None or not claims.dispatches:
            return
        position = max((r.notification.id for r in recordings), default=0)
        self._unshown.append((position, claims))
        self.release_shown()

    def release_shown(self) -> None:
        """Releases the keys of every held transaction the board now shows. A board that
        cannot catch up (the store not answering) keeps them held, logged not raised:
        the commit itself has succeeded."""
        if self._unshown and self.app.views.position < max(p for p, _ in self._unshown):
            try:
                self.app.views.caught_up(DeliveryBoard)
            except Exception:
                log.warning("the delivery board did not catch up after a commit; %d "
                            "transactions keep their keys", len(self._unshown), exc_info=True)
        shown, held = self.app.views.position, []
        for position, claims in self._unshown:  # nothing here yields: no lost update
            if position > shown:
                held.append((position, claims))
                continue
            for key in claims.scheduled:
                if self._claiming.get(key) is claims:
                    del self._claiming[key]
        self._unshown = held
