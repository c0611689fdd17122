"""The delivery sender's steps, each one transaction for what goes together: claims of
what fell due together, outcomes of what finished together (one commit, not one each)."""

import logging
from collections import OrderedDict
from datetime import datetime
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from services.backbone.eventstore.application import retry_on_conflict
from services.backbone.kernel.context import SYSTEM_ACTOR
from services.backbone.kernel.errors import Conflict

from .domain import Delivery, Dispatch, Outcome, Subscription
from .matching import RetryPolicy
from .views import DeliveryBoard

log = logging.getLogger(__name__)

WRITTEN_KEPT = 10_000  # open deliveries kept as last written (beyond: read from the log)


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


class DeliveryAttempts:
    """What is due, claiming next attempts, closing finished ones: on deliveries as
    this process last committed them (``written``), not read back from the log."""

    def __init__(self, app):
        self.app = app
        self.written = WrittenDeliveries()

    def due(self, now: datetime, exclude: set[UUID]) -> tuple[list[UUID], datetime | None]:
        """The deliveries due now (not those in ``exclude``) and when the next falls due."""
        board, claims = self.app.views[DeliveryBoard], self.app.first_attempts
        if claims.holding:  # the board has caught up: what it shows now is released
            claims.release_shown()
        return board.due(now, exclude)

    def take(self, delivery_ids: list[UUID], policy: RetryPolicy) -> list[Dispatch]:
        """Claims the next attempt of each delivery that is still due, all in one
        transaction, and returns what to send now. Should another sender have changed
        one first, each is claimed on its own, so only the contended ones are lost."""
        now, subscriptions, changed = self.app.clock(), {}, []
        for delivery_id in delivery_ids:
            delivery = self.written.take(delivery_id) or self.app.find(delivery_id, Delivery)
            if delivery is None:
                continue
            if delivery.subscription_id not in subscriptions:
                subscriptions[delivery.subscription_id] = self.app.require(
                    delivery.subscription_id, Subscription, "subscription")
            if self._advance(delivery, subscriptions[delivery.subscription_id], now, policy):
                changed.append(delivery)
            else:
                self.written.put_back(delivery)  # unchanged: still as last written
        if not changed:
            return []
        try:
            self.app.save(*changed)
        except IntegrityError:
            if len(delivery_ids) == 1:
                return []
            return [dispatch for one in delivery_ids for dispatch in self.take([one], policy)]
        claimed = [delivery for delivery in changed if delivery.status == "sending"]
        return [Dispatch.of(delivery, subscriptions[delivery.subscription_id]) for delivery in claimed]

    @staticmethod
    def _advance(delivery: Delivery, subscription: Subscription, now: datetime,
                 policy: RetryPolicy) -> bool:
        """The sender's next step on one delivery; False when there is none now."""
        ctx = SYSTEM_ACTOR.context(delivery.correlation_id)
        if not subscription.active and delivery.status == "pending":
            delivery.abandon(reason="订阅已取消", now=now, ctx=ctx)
        elif delivery.is_interrupted(now):
            delivery.interrupt(now=now, policy=policy, ctx=ctx)
        elif delivery.is_due(now):
            delivery.begin_attempt(now=now, policy=policy, ctx=ctx)
        else:
            return False
        return True

    def record_outcomes(self, outcomes: list[Outcome], policy: RetryPolicy) -> None:
        """Closes finished attempts, all in one transaction, on the deliveries as they
        were claimed (no second read of each). Should one have changed elsewhere since
        (another sender found its lease expired), each is closed on its own from the
        log, and an attempt that is no longer current is left as the log has it."""
        changed = []
        for outcome in outcomes:
            delivery = (self.written.take(outcome.dispatch.delivery_id)
                        or self.app.require(outcome.dispatch.delivery_id, Delivery, "delivery"))
            try:
                self._close(delivery, outcome, policy)
            except Conflict as error:
                log.warning("outcome of %s not recorded: %s", outcome.dispatch.delivery_id, error)
                continue
            changed.append(delivery)
        if not changed:
            return
        try:
            self.app.save(*changed)
        except IntegrityError:
            for outcome in outcomes:
                try:
                    self._record_one(outcome, policy)
                except Conflict as error:
                    log.warning("outcome of %s not recorded: %s", outcome.dispatch.delivery_id, error)

    @retry_on_conflict
    def _record_one(self, outcome: Outcome, policy: RetryPolicy) -> None:
        delivery = self.app.require(outcome.dispatch.delivery_id, Delivery, "delivery")
        self._close(delivery, outcome, policy)
        self.app.save(delivery)

    def _close(self, delivery: Delivery, outcome: Outcome, policy: RetryPolicy) -> None:
        ctx, now = SYSTEM_ACTOR.context(delivery.correlation_id), self.app.clock()
        if outcome.delivered:
            delivery.succeed(number=outcome.dispatch.attempt, now=now, detail=outcome.detail, ctx=ctx)
        else:
            delivery.fail(number=outcome.dispatch.attempt, now=now, error=outcome.detail,
                          counted=outcome.counted, policy=policy, ctx=ctx)
