"""The notifications application: subscriptions, the deliveries every upstream event
causes, the sender's steps, and the queries of owners, the DRC and ops.

Every integration event of registry, evaluation and funding passes through ``policy``:
the facts of bases and batches are noted, then each active subscription whose filter
passes gets one Delivery whose id is derived from (subscription, event). The deliveries
commit together with the consumer's tracking record, so a redelivered message changes
nothing, and a crash before the commit leaves the message to be delivered again.
"""

import logging
import secrets
import weakref
from collections import OrderedDict
from datetime import datetime, timezone
from typing import Callable
from uuid import UUID

from eventsourcing.application import ProcessingEvent
from eventsourcing.persistence import IntegrityError

from services.backbone.eventstore.application import (AwaitingOtherSource, ServiceApplication, reacts_to,
                                           retry_on_conflict)
from services.backbone.kernel.context import SYSTEM_ACTOR, Actor, Context
from services.backbone.kernel.errors import Conflict, Forbidden, NotFound
from services.backbone.kernel.privacy import for_viewer
from services.contracts import IntegrationEvent

from .destinations import Destinations
from .domain import (OVERSEERS, Delivery, Dispatch, KnownBase, KnownBatch, Outcome, Subscription,
                     may_hear_of, owner_as_actor)
from .integration import publications
from .matching import BaseFacts, EventFilter, RetryPolicy, subject_of
from .messages import Names, compose
from .views import DeliveryBoard, SubscriptionDirectory


log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


WRITTEN_KEPT = 10_000  # open deliveries kept as last written (beyond: read from the log)


class BaseNotYetKnown(AwaitingOtherSource):
    """An event about a base whose declaration has not reached this service yet (the
    sources' queues are consumed independently: registry's may be behind, after a
    restart or under a backlog). Raised so that the consumer holds the event and retries
    it until registry's BaseDeclared has been applied, however long that takes: parked,
    it would be lost to its subscribers until ops replayed it, and then delivered after
    later events of the same base."""


class NotificationsApplication(ServiceApplication):
    """Subscriptions of departments, counties and bases; deliveries of every event."""

    name = "notifications"
    publications = publications
    audit_secrets = ("channel.secret",)  # a webhook's signing secret (Subscribed, Changed)
    clock: Callable[[], datetime] = staticmethod(utc_now)

    def __init__(self, env: dict | None = None) -> None:
        super().__init__(env)
        # Open deliveries as this process last committed them (scheduled by its
        # consumer, claimed by its sender): the sender's next step on each starts from
        # here instead of reading it back from the log. Taking one removes it, so no two
        # steps share an object and a step that fails leaves nothing half-changed here;
        # a commit puts it back. Another instance's change is caught by the version
        # check of the next save, which then reads the log.
        self._written: OrderedDict[UUID, Delivery] = OrderedDict()
        self.destinations = Destinations()
        self.sender = None  # the delivery sender, once the service runs one
        # (subscription, subject) -> the uncommitted transaction claiming a first attempt
        # for it: another consumer's transaction (each source has its own) leaves that
        # key to the sender. Weak: a transaction that failed leaves no reservation.
        self._claiming: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
        # Committed transactions whose claims the board does not show yet, with the last
        # position each wrote: they keep their keys reserved until it does.
        self._unshown: list[tuple[int, ProcessingEvent]] = []

    def ops_details(self) -> dict:
        """The delivery sender's state, with its last error, for /ops/status."""
        return {"sender": self.sender.status() if self.sender is not None else None}

    def configure(self, settings) -> None:
        """Applies the ``notifications`` section: where webhooks may go."""
        self.destinations = Destinations.from_config(settings)

    def construct_views(self):
        return [SubscriptionDirectory(), DeliveryBoard()]

    def _record(self, processing_event):
        recordings = super()._record(processing_event)
        for aggregate in processing_event.aggregates.values():
            if isinstance(aggregate, Delivery):
                self._written.pop(aggregate.id, None)
                if not aggregate.is_final:
                    self._written[aggregate.id] = aggregate
        while len(self._written) > WRITTEN_KEPT:
            self._written.popitem(last=False)
        claimed = processing_event.__dict__.get("first_attempts")
        if claimed:  # committed: the attempts claimed with the deliveries go out now
            self.sender.accept(claimed)
        return recordings

    def _commit(self, processing):
        """The backbone's commit; then the keys the consumer claimed are released, once
        the save listeners, the views' ``follow`` first, have put the claims on the
        board (see ``_release_claims``)."""
        recordings = super()._commit(processing)
        if processing.__dict__.get("first_attempts"):
            self._release_claims(processing, recordings)
        return recordings

    def _release_claims(self, processing, recordings) -> None:
        """Once the board shows the deliveries claimed in ``processing`` (as sending:
        their keys are busy), the keys need no reservation of their own. The views have
        followed the events just committed; only if an earlier commit's events had not
        reached the board yet (its listeners still to run), so that these could not be
        applied, is the log read. Reading the commit back from the store and decrypting
        it, as this did when it ran before the listeners, was an eighth of the service's
        samples at 100 commands/s. Should the store not answer that read, the
        transaction is held, and its keys with it, until the board has caught up (the
        next commit's release or the sender's next turn): were they released, another
        source's consumer about the same base, reading the board meanwhile, could claim
        beside them, two attempts of one key in flight at once."""
        position = max((r.notification.id for r in recordings), default=0)
        self._unshown.append((position, processing))
        self._release_shown()

    def _release_shown(self) -> None:
        """Releases the keys of every held transaction the board now shows. Logged, not
        raised, when the board cannot catch up: the commit itself has succeeded and the
        message must not be taken for failed."""
        if self._unshown and self.views.position < max(p for p, _ in self._unshown):
            try:
                self.views.caught_up(DeliveryBoard)
            except Exception:
                log.warning("the delivery board did not catch up after a commit; %d "
                            "transactions keep their keys", len(self._unshown), exc_info=True)
        shown, held = self.views.position, []
        for position, processing in self._unshown:  # nothing here yields: no lost update
            if position > shown:
                held.append((position, processing))
                continue
            for key in processing.__dict__.get("scheduled_keys", ()):
                if self._claiming.get(key) is processing:
                    del self._claiming[key]
        self._unshown = held

    def _take_written(self, delivery_id: UUID) -> Delivery | None:
        """The delivery as this process last committed it (removed from the cache), or
        as the log has it."""
        return self._written.pop(delivery_id, None) or self.find(delivery_id, Delivery)

    # -- subscriptions ------------------------------------------------------------------------

    def subscribe(self, *, label: str, filter: dict, channel: dict, actor: Actor,
                  ctx: Context) -> Subscription:
        """Opens a subscription owned by the caller; a webhook without a secret gets one."""
        if channel.get("url"):
            self.destinations.check_url(channel["url"])
        if channel["kind"] == "webhook" and not channel.get("secret"):
            channel = {**channel, "secret": secrets.token_urlsafe(32)}
        event_filter = EventFilter.from_dict(filter)
        subscription = Subscription.subscribe(
            owner=actor, label=label, event_filter=event_filter, channel=channel,
            answers_for=self._answered_by(actor, event_filter), ctx=ctx)
        self.save(subscription)
        return subscription

    @retry_on_conflict
    def change_subscription(self, subscription_id: UUID, *, actor: Actor, ctx: Context,
                            label: str | None = None, filter: dict | None = None,
                            channel: dict | None = None) -> Subscription:
        subscription = self.get_subscription(subscription_id, actor)
        if channel and channel.get("url"):
            self.destinations.check_url(channel["url"])
        event_filter = None if filter is None else EventFilter.from_dict(filter)
        subscription.change(actor=actor, label=label, event_filter=event_filter, channel=channel,
                            answers_for=self._answered_by(actor, event_filter or
                                                          subscription.event_filter), ctx=ctx)
        self.save(subscription)
        return subscription

    @retry_on_conflict
    def cancel_subscription(self, subscription_id: UUID, *, actor: Actor,
                            ctx: Context) -> Subscription:
        """Cancels; deliveries still waiting are abandoned when they fall due."""
        subscription = self.get_subscription(subscription_id, actor)
        subscription.cancel(actor=actor, ctx=ctx)
        self.save(subscription)
        return subscription

    def get_subscription(self, subscription_id: UUID, actor: Actor) -> Subscription:
        subscription = self._get(subscription_id, Subscription, "subscription")
        if not subscription.is_visible_to(actor):
            raise Forbidden("This subscription is not yours.")
        return subscription

    def list_subscriptions(self, actor: Actor, *, owner_id: UUID | None = None,
                           status: str | None = None) -> list[dict]:
        """The caller's own subscriptions; the DRC and ops see everyone's."""
        if actor.role not in OVERSEERS:
            owner_id = actor.id
        return self.views[SubscriptionDirectory].select(owner_id=owner_id, status=status)

    def _answered_by(self, actor: Actor, event_filter: EventFilter) -> set[UUID]:
        """Of the filter's bases, those the actor answers for as applicant: named in its
        token, or declared by it."""
        if actor.role != "applicant":
            return set()
        answered = set()
        for base_id in event_filter.base_ids:
            known = self._known(KnownBase, base_id)
            if actor.speaks_for(base_id) or (known is not None and known.declared_by == actor.id):
                answered.add(base_id)
        return answered

    # -- deliveries ------------------------------------------------------------------------------

    def get_delivery(self, delivery_id: UUID, actor: Actor) -> Delivery:
        delivery = self._get(delivery_id, Delivery, "delivery")
        if delivery.owner_id != actor.id and actor.role not in OVERSEERS:
            raise Forbidden("This delivery is not yours.")
        return delivery

    def list_deliveries(self, actor: Actor, *, subscription_id: UUID | None = None,
                        status: str | None = None) -> list[dict]:
        """Deliveries, newest first: the caller's own, or everyone's for the DRC and ops."""
        if subscription_id is not None:
            self.get_subscription(subscription_id, actor)
        owner_id = None if actor.role in OVERSEERS else actor.id
        return self.views[DeliveryBoard].select(owner_id=owner_id, subscription_id=subscription_id,
                                                status=status)

    @retry_on_conflict
    def resend(self, delivery_id: UUID, *, actor: Actor, ctx: Context) -> Delivery:
        """Ops sends a finished delivery again, with the same delivery id."""
        delivery = self._get(delivery_id, Delivery, "delivery")
        delivery.resend(actor=actor, now=self.clock(), ctx=ctx)
        self.save(delivery)
        return delivery

    def inbox(self, actor: Actor, *, unread: bool | None = None) -> list[dict]:
        """The caller's own inbox, newest first (everyone has only their own)."""
        return self.views[DeliveryBoard].select(owner_id=actor.id, channel="inbox",
                                                unread=unread)

    def unread_count(self, actor: Actor) -> int:
        return self.views[DeliveryBoard].unread_count(actor.id)

    @retry_on_conflict
    def mark_read(self, delivery_id: UUID, *, actor: Actor, ctx: Context) -> Delivery:
        delivery = self._get(delivery_id, Delivery, "delivery")
        if delivery.mark_read(actor=actor, now=self.clock(), ctx=ctx):
            self.save(delivery)
        return delivery

    # -- reactions: every upstream event ---------------------------------------------------------

    @reacts_to("BaseDeclared")
    def note_base(self, event: IntegrationEvent, processing: ProcessingEvent) -> None:
        p = event.payload
        if KnownBase.create_id(p["base_id"]) in self.repository:
            return
        declared_by = event.actor.id if event.actor.role == "applicant" else None
        processing.collect_events(KnownBase(
            base_id=p["base_id"], name=p["name"], kind=p["kind"], region=p["region"],
            competent_department=p["competent_department"], declared_by=declared_by,
            ctx=self.upstream_context(event)))

    @reacts_to("BatchOpened")
    def note_batch(self, event: IntegrationEvent, processing: ProcessingEvent) -> None:
        p = event.payload
        if KnownBatch.create_id(p["batch_id"]) not in self.repository:
            processing.collect_events(KnownBatch(batch_id=p["batch_id"], name=p["name"],
                                                 ctx=self.upstream_context(event)))

    def policy(self, event: IntegrationEvent, processing: ProcessingEvent) -> None:
        """Notes facts (the reactions above), then schedules the deliveries, for every
        event type, including those added after this service was written."""
        super().policy(event, processing)
        self.schedule_deliveries(event, processing)

    def schedule_deliveries(self, event: IntegrationEvent, processing: ProcessingEvent) -> None:
        """One delivery per matching subscription, collected with the tracking record."""
        subject = subject_of(event.payload)
        base_id = subject[1] if subject and subject[0] == "base" else None
        directory, board = self.views.caught_up(SubscriptionDirectory, DeliveryBoard)
        candidates = [s for s in directory.active() if s.filter.may_match(event.type, base_id)]
        if not candidates:
            return
        base = self._base_facts(base_id, processing)
        if base_id is not None and base is None:
            raise BaseNotYetKnown(f"{event.type} #{event.position} is about base {base_id}, "
                                  "whose BaseDeclared has not been applied here yet")
        notice = compose(event.type, event.source, event.payload,
                         Names(base=base, batch=self._batch_name(subject, processing)))
        envelope, ctx, now = event.to_message(), self.upstream_context(event), self.clock()
        for candidate in candidates:
            if not candidate.filter.matches(event.type, base_id, base) or \
                    not may_hear_of(candidate.owner, event.type, base_id):
                continue
            if board.knows(Delivery.create_id(candidate.subscription_id, event.event_id)):
                continue  # an ops replay of an event applied before: once is enough
            delivery = Delivery(
                subscription_id=candidate.subscription_id, event_id=event.event_id,
                owner_id=candidate.owner_id, channel=candidate.channel, subject=f"{subject[0]}:{subject[1]}" if subject else None,
                event_type=event.type, envelope=for_viewer(envelope, owner_as_actor(candidate.owner, candidate.filter.base_ids)),
                title=notice.title,
                message=notice.text, at=now, ctx=ctx)
            self._claim_first_attempt(delivery, board, processing, now, ctx)
            processing.collect_events(delivery)

    def _claim_first_attempt(self, delivery: Delivery, board: DeliveryBoard,
                             processing: ProcessingEvent, now: datetime, ctx: Context) -> None:
        """Claims a new delivery's first attempt in the transaction that schedules it,
        for this process's sender to send once that has committed (``_record``): the
        sender claiming it in a transaction of its own was one more commit, and one more
        wait for the disk, on every notification's way out. The claim is the same
        ``AttemptStarted`` the sender writes, with the same lease, so a crash after the
        commit ends as a crash after the sender's claim does: the lease runs out, the
        attempt is closed as interrupted and tried again.

        Left to the sender, which claims one at a time in order: a delivery that must
        wait for another of its subscription and base (open on the board, scheduled
        earlier in this same transaction, or being claimed by another source's
        consumer), and every delivery while the sender has no room for more (it would
        otherwise wait with its lease running) or runs not."""
        sender = self.sender
        if sender is None or not sender.accepting or delivery.status != "pending":
            return  # no sender here (tools, tests), or an inbox item, delivered already
        claims = processing.__dict__.setdefault("first_attempts", [])
        scheduled = processing.__dict__.setdefault("scheduled_keys", set())
        key = (delivery.subscription_id, delivery.subject or delivery.id)
        waits = (key in scheduled or board.has_open(*key)
                 or self._claiming.get(key, processing) is not processing)
        scheduled.add(key)
        if waits or sender.room() - len(claims) <= 0:
            return
        subscription = self._get(delivery.subscription_id, Subscription, "subscription")
        delivery.begin_attempt(now=now, policy=sender.policy, ctx=ctx)
        claims.append(Dispatch.of(delivery, subscription))
        self._claiming[key] = processing

    def _base_facts(self, base_id: UUID | None, processing: ProcessingEvent) -> BaseFacts | None:
        if base_id is None:
            return None
        known = processing.aggregates.get(KnownBase.create_id(base_id)) or self._known(KnownBase, base_id)
        return known.facts if known is not None else None

    def _batch_name(self, subject, processing: ProcessingEvent) -> str | None:
        if not subject or subject[0] != "batch":
            return None
        known = (processing.aggregates.get(KnownBatch.create_id(subject[1]))
                 or self._known(KnownBatch, subject[1]))
        return known.name if known is not None else None

    # -- the sender's steps ---------------------------------------------------------------------

    def due_deliveries(self, now: datetime, exclude: set[UUID]) -> tuple[list[UUID], datetime | None]:
        board = self.views[DeliveryBoard]
        if self._unshown:  # the board has caught up: what it shows now is released
            self._release_shown()
        return board.due(now, exclude)

    def take(self, delivery_ids: list[UUID], policy: RetryPolicy) -> list[Dispatch]:
        """Claims the next attempt of each delivery, all in one transaction, and returns
        what to send now. Left out: a delivery that is not due after all (another sender
        claimed it, its subscription was cancelled and it is abandoned, an interrupted
        attempt was just closed and the retry waits for its backoff).

        One commit for the lot: under load the sender claims what fell due together, and
        a commit (an fsync) per claim was most of what a delivery cost. Should another
        sender have changed one of them first, the lot is not written and each is claimed
        on its own, so only the contended ones are lost."""
        now, subscriptions, changed = self.clock(), {}, []
        for delivery_id in delivery_ids:
            delivery = self._take_written(delivery_id)
            if delivery is None:
                continue
            if delivery.subscription_id not in subscriptions:
                subscriptions[delivery.subscription_id] = self._get(
                    delivery.subscription_id, Subscription, "subscription")
            if self._advance(delivery, subscriptions[delivery.subscription_id], now, policy):
                changed.append(delivery)
            else:
                self._written[delivery.id] = delivery  # unchanged: still as last written
        if not changed:
            return []
        try:
            self.save(*changed)
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
            delivery = (self._written.pop(outcome.dispatch.delivery_id, None)
                        or self._get(outcome.dispatch.delivery_id, Delivery, "delivery"))
            try:
                self._close(delivery, outcome, policy)
            except Conflict as error:
                log.warning("outcome of %s not recorded: %s", outcome.dispatch.delivery_id, error)
                continue
            changed.append(delivery)
        if not changed:
            return
        try:
            self.save(*changed)
        except IntegrityError:
            for outcome in outcomes:
                try:
                    self._record_one(outcome, policy)
                except Conflict as error:
                    log.warning("outcome of %s not recorded: %s", outcome.dispatch.delivery_id, error)

    @retry_on_conflict
    def _record_one(self, outcome: Outcome, policy: RetryPolicy) -> None:
        delivery = self._get(outcome.dispatch.delivery_id, Delivery, "delivery")
        self._close(delivery, outcome, policy)
        self.save(delivery)

    def _close(self, delivery: Delivery, outcome: Outcome, policy: RetryPolicy) -> None:
        ctx, now = SYSTEM_ACTOR.context(delivery.correlation_id), self.clock()
        if outcome.delivered:
            delivery.succeed(number=outcome.dispatch.attempt, now=now, detail=outcome.detail, ctx=ctx)
        else:
            delivery.fail(number=outcome.dispatch.attempt, now=now, error=outcome.detail,
                          counted=outcome.counted, policy=policy, ctx=ctx)

    # -- loading ----------------------------------------------------------------------------------

    def _get(self, aggregate_id: UUID, cls: type, what: str):
        aggregate = self.find(aggregate_id, cls)
        if aggregate is None:
            raise NotFound(f"No {what} {aggregate_id}.")
        return aggregate

    def _known(self, cls: type, upstream_id: UUID):
        return self.find(cls.create_id(upstream_id), cls)
