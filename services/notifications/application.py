"""The notifications application: subscriptions, the deliveries every upstream event
causes, and the queries of owners, the DRC and ops (the sender's steps are in
attempts.py, first attempts claimed with their deliveries in claims.py).

Every integration event of registry, evaluation and funding passes through ``policy``:
the facts of bases and batches are noted, then each active subscription whose filter
passes gets one Delivery whose id is derived from (subscription, event). The deliveries
commit together with the consumer's tracking record, so a redelivered message changes
nothing, and a crash before the commit leaves the message to be delivered again.
"""

import logging
import secrets
from uuid import UUID

from eventsourcing.application import ProcessingEvent

from services.backbone.eventstore.application import (AwaitingOtherSource, ServiceApplication, reacts_to,
                                           retry_on_conflict)
from services.backbone.kernel.context import Actor, Context
from services.backbone.kernel.errors import Forbidden
from services.backbone.kernel.privacy import for_viewer
from services.contracts import CATALOG, IntegrationEvent

from .attempts import DeliveryAttempts
from .backfill_commands import BackfillCommands
from .claims import FirstAttempts
from .destinations import Destinations
from .domain import (OVERSEERS, Delivery, KnownBase, KnownBatch, Subscription,
                     may_hear_of, owner_as_actor)
from .integration import publications
from .matching import BaseFacts, EventFilter, subject_of
from .messages import Names, compose
from .views import DeliveryBoard, SubscriptionDirectory


log = logging.getLogger(__name__)


class BaseNotYetKnown(AwaitingOtherSource):
    """An event about a base whose BaseDeclared has not been applied here yet (each
    source's queue is consumed on its own): held until it has, since parked it would
    reach subscribers, if ever, after later events of the base."""


class NotificationsApplication(BackfillCommands, ServiceApplication):
    """Subscriptions of departments, counties and bases; deliveries of every event."""

    name = "notifications"
    publications = publications
    audit_secrets = ("channel.secret",)  # a webhook's signing secret (Subscribed, Changed)

    def __init__(self, env: dict | None = None) -> None:
        super().__init__(env)
        self.first_attempts = FirstAttempts(self)
        self.attempts = DeliveryAttempts(self)  # the sender's steps
        self.destinations = Destinations()
        self.sender = None  # the delivery sender, once the service runs one
        self.backfiller = None  # the backfill runner, once the service runs one

    def ops_details(self) -> dict:
        """The delivery sender's and backfill runner's state, with their last errors,
        for /ops/status."""
        return {"sender": self.sender.status() if self.sender is not None else None,
                "backfills": self.backfiller.status() if self.backfiller is not None else None}

    def configure(self, settings) -> None:
        """Applies the ``notifications`` section: where webhooks may go."""
        self.destinations = Destinations.from_config(settings)
        self.configure_backfills(settings)

    def construct_views(self):
        return [SubscriptionDirectory(), DeliveryBoard()]

    def _recorded(self, processing) -> None:
        """Written: the deliveries are kept as written, and the attempts claimed with
        them go to the sender now."""
        self.attempts.written.committed(processing.aggregates.values())
        claimed = self.first_attempts.claimed_in(processing)
        if claimed:
            self.sender.accept(claimed)

    def _commit(self, processing):
        """The backbone's commit; then, the views having followed it, the keys claimed
        in it are released once the board shows the claims."""
        recordings = super()._commit(processing)
        self.first_attempts.committed(processing, recordings)
        return recordings

    # -- subscriptions ------------------------------------------------------------------------

    def subscribe(self, *, label: str, filter: dict, channel: dict, actor: Actor,
                  ctx: Context, backfill: dict | None = None) -> Subscription:
        """Opens a subscription owned by the caller; a webhook without a secret gets one.
        ``backfill`` (``from``, ``rate``) starts it with the events before it."""
        if channel.get("url"):
            self.destinations.check_url(channel["url"])
        if channel["kind"] == "webhook" and not channel.get("secret"):
            channel = {**channel, "secret": secrets.token_urlsafe(32)}
        event_filter = EventFilter.from_dict(filter)
        subscription = Subscription.subscribe(
            owner=actor, label=label, event_filter=event_filter, channel=channel,
            answers_for=self._answered_by(actor, event_filter), ctx=ctx)
        fences = [] if backfill is None else self.begin_backfill(subscription, backfill, actor, ctx)
        self.save(subscription, *fences)
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
        subscription = self.require(subscription_id, Subscription, "subscription")
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
        delivery = self.require(delivery_id, Delivery, "delivery")
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
        delivery = self.require(delivery_id, Delivery, "delivery")
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
        delivery = self.require(delivery_id, Delivery, "delivery")
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
        """One delivery per matching subscription, collected with the tracking record;
        none for the platform's own events (TokenRevoked), nor for a subscription whose
        backfill has yet to reach this event (it delivers it then, in order)."""
        if not CATALOG[event.type].deliverable:
            return
        directory, board = self.views.caught_up(SubscriptionDirectory, DeliveryBoard)
        candidates = [s for s in directory.active()
                      if not self.held_for_backfill(s, event, processing)]
        now, ctx = self.clock(), self.upstream_context(event)
        for delivery in self.new_deliveries(event, candidates, board, processing, now):
            self.first_attempts.claim(delivery, board, processing, now, ctx)
            processing.collect_events(delivery)

    def new_deliveries(self, event: IntegrationEvent, candidates: list, board: DeliveryBoard,
                       processing: ProcessingEvent, now) -> list[Delivery]:
        """The deliveries of ``event`` to those of ``candidates`` whose filter passes and
        that have none of it yet (live or backfilled: one per subscription and event)."""
        subject = subject_of(event.payload)
        base_id = subject[1] if subject and subject[0] == "base" else None
        candidates = [s for s in candidates if s.filter.may_match(event.type, base_id)]
        if not candidates:
            return []
        base = self._base_facts(base_id, processing)
        if base_id is not None and base is None:
            raise BaseNotYetKnown(f"{event.type} #{event.position} is about base {base_id}, "
                                  "whose BaseDeclared has not been applied here yet")
        notice = compose(event.type, event.source, event.payload,
                         Names(base=base, batch=self._batch_name(subject, processing)))
        envelope, ctx = event.to_message(), self.upstream_context(event)
        deliveries = []
        for candidate in candidates:
            if not candidate.filter.matches(event.type, base_id, base) or \
                    not may_hear_of(candidate.owner, event.type, base_id):
                continue
            if board.knows(Delivery.create_id(candidate.subscription_id, event.event_id)):
                continue  # an ops replay of an event applied before: once is enough
            deliveries.append(Delivery(
                subscription_id=candidate.subscription_id, event_id=event.event_id,
                owner_id=candidate.owner_id, channel=candidate.channel, subject=f"{subject[0]}:{subject[1]}" if subject else None,
                event_type=event.type, envelope=for_viewer(envelope, owner_as_actor(candidate.owner, candidate.filter.base_ids)),
                title=notice.title,
                message=notice.text, at=now, ctx=ctx))
        return deliveries

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

    # -- loading ----------------------------------------------------------------------------------

    def _known(self, cls: type, upstream_id: UUID):
        return self.find(cls.create_id(upstream_id), cls)
