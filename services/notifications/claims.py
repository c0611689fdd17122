"""What the notifications application keeps of its own recent writes.

``FirstAttempts``: the consumer claims a new delivery's first attempt in the transaction
that schedules it (one commit less per notification, docs/benchmark-rounds.md round 7),
and reserves its key until the delivery board shows the claim. ``WrittenDeliveries``:
open deliveries as this process last committed them, so that the sender's next step
does not read them back from the log.
"""

import logging
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from uuid import UUID

from eventsourcing.application import ProcessingEvent

from .domain import Delivery, Dispatch
from .views import DeliveryBoard

log = logging.getLogger(__name__)

WRITTEN_KEPT = 10_000  # open deliveries kept as last written (beyond: read from the log)

Key = tuple  # (subscription id, subject or delivery id): one attempt in flight at a time


@dataclass(eq=False)
class TransactionClaims:
    """The keys one transaction scheduled deliveries for, and the attempts it claimed."""

    scheduled: set = field(default_factory=set)
    dispatches: list[Dispatch] = field(default_factory=list)


class FirstAttempts:
    """First attempts claimed by uncommitted transactions, and the keys they reserve.

    A key is reserved by the transaction claiming an attempt for it, so that another
    source's consumer leaves that key to the sender; weakly, so a transaction that
    failed leaves no reservation. Once committed, it stays reserved until the board
    shows the claim (the board then says the key is busy)."""

    def __init__(self, views):
        self.views = views
        self._transactions: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._claiming: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
        self._unshown: list[tuple[int, TransactionClaims]] = []  # committed, not on the board yet

    def _of(self, processing: ProcessingEvent) -> TransactionClaims:
        claims = self._transactions.get(processing)
        if claims is None:
            claims = self._transactions[processing] = TransactionClaims()
        return claims

    def may_claim(self, processing: ProcessingEvent, key: Key, board: DeliveryBoard, room: int) -> bool:
        """Notes ``key`` as scheduled in ``processing``; True when its first attempt may
        be claimed there: no other delivery of the key is open on the board, scheduled
        earlier in the transaction or being claimed by another, and the sender has room."""
        claims = self._of(processing)
        waits = (key in claims.scheduled or board.has_open(*key)
                 or self._claiming.get(key, claims) is not claims)
        claims.scheduled.add(key)
        return not waits and room - len(claims.dispatches) > 0

    def claim(self, processing: ProcessingEvent, key: Key, dispatch: Dispatch) -> None:
        claims = self._of(processing)
        claims.dispatches.append(dispatch)
        self._claiming[key] = claims

    def claimed_in(self, processing: ProcessingEvent) -> list[Dispatch]:
        claims = self._transactions.get(processing)
        return claims.dispatches if claims is not None else []

    def scheduled_in(self, processing: ProcessingEvent) -> set:
        claims = self._transactions.get(processing)
        return claims.scheduled if claims is not None else set()

    def reserved(self, key: Key) -> bool:
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
        if self._unshown and self.views.position < max(p for p, _ in self._unshown):
            try:
                self.views.caught_up(DeliveryBoard)
            except Exception:
                log.warning("the delivery board did not catch up after a commit; %d "
                            "transactions keep their keys", len(self._unshown), exc_info=True)
        shown, held = self.views.position, []
        for position, claims in self._unshown:  # nothing here yields: no lost update
            if position > shown:
                held.append((position, claims))
                continue
            for key in claims.scheduled:
                if self._claiming.get(key) is claims:
                    del self._claiming[key]
        self._unshown = held


class WrittenDeliveries:
    """Open deliveries as this process last committed them. Taking one removes it, so
    no two steps share an object and a step that fails leaves nothing half-changed; a
    commit puts it back. Another instance's change fails the next save's version check."""

    def __init__(self, kept: int = WRITTEN_KEPT):
        self.kept = kept
        self._deliveries: OrderedDict[UUID, Delivery] = OrderedDict()

    def committed(self, aggregates) -> None:
        for aggregate in aggregates:
            if isinstance(aggregate, Delivery):
                self._deliveries.pop(aggregate.id, None)
                if not aggregate.is_final:
                    self._deliveries[aggregate.id] = aggregate
        while len(self._deliveries) > self.kept:
            self._deliveries.popitem(last=False)

    def take(self, delivery_id: UUID) -> Delivery | None:
        return self._deliveries.pop(delivery_id, None)

    def put_back(self, delivery: Delivery) -> None:
        self._deliveries[delivery.id] = delivery
