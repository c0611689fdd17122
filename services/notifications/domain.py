"""Subscriptions and their deliveries: the notifications service's aggregates. Pure, no I/O.

A ``Subscription`` is a standing request by one actor (a department, a county
government, a base's applicant...) to be told of the events that pass its filter, by
webhook, e-mail or inbox. Every upstream event that passes becomes one ``Delivery`` per
subscription, whose log keeps every attempt, its outcome and its error: the delivery
log is the answer to "did 科技厅 get told, when, and if not, why".

``KnownBase`` and ``KnownBatch`` are what this service learnt from BaseDeclared and
BatchOpened: later events carry only ids, and filters and messages need the facts.

Each public method checks its rule, then records one event through a private ``@event``
method, whose body is the state change only (it also runs on replay).
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.backbone.kernel.context import Actor, Context, stable_id
from services.backbone.kernel.errors import Conflict, Forbidden, RuleViolation, field_error

from . import backfill_state
from .matching import BaseFacts, EventFilter, RetryPolicy, about_a_base

OVERSEERS = ("drc", "ops")  # see every subscription and delivery
# Events about no base that an applicant may hear of: batch announcements, public
# anyway. The others are about every base at once (RoundClosed: each base's score and
# grade; BudgetEnvelopeOpened: each base's cap), which is not one applicant's business;
# an applicant learns its own score and grade from its base's BaseAdjusted.
PUBLIC_WITHOUT_BASE = ("BatchOpened", "BatchClosed")
CHANNEL_FIELDS = {"webhook": ("url", "secret"), "email": ("address",), "inbox": ()}
FINAL = ("delivered", "failed", "abandoned")
MAX_ERROR_LENGTH = 1000


def owner_of(actor: Actor) -> dict:
    """The owner as recorded on a subscription: who, in which capacity, with which scope."""
    return {"actor_id": actor.id, "role": actor.role, "name": actor.name, "org": actor.org,
            "region": list(actor.region) if actor.region else None}


def owner_as_actor(owner: dict, filter_base_ids=()) -> Actor:
    """The recorded owner as the actor that subscribed (for what it may be shown). An
    applicant subscribes only to bases it answers for, so its filter's bases are those."""
    applicant = owner["role"] == "applicant"
    return Actor(id=owner["actor_id"], role=owner["role"], name=owner.get("name") or "",
                 org=owner.get("org"), region=tuple(owner["region"]) if owner.get("region") else None,
                 base_ids=tuple(filter_base_ids) if applicant else ())


class Subscription(Aggregate):
    """One actor's standing request to be told of the events that pass its filter."""

    backfill: dict | None = None  # the last backfill (``backfill_state``), if any

    @classmethod
    def subscribe(cls, *, owner: Actor, label: str, event_filter: EventFilter, channel: dict,
                  answers_for: set[UUID], ctx: Context) -> "Subscription":
        """Opens a subscription. An applicant hears only of the bases it answers for,
        since events carry contacts and decisions that are not its business otherwise."""
        _check_applicant_scope(owner, event_filter, answers_for)
        return cls(owner=owner_of(owner), label=label, filter=event_filter.as_dict(),
                   channel=channel, ctx=ctx)

    @event("Subscribed")
    def __init__(self, owner: dict, label: str, filter: dict, channel: dict, ctx: Context):
        self.owner = owner
        self.label = label
        self.filter = filter
        self.channel = channel
        self.active = True

    @property
    def owner_id(self) -> UUID:
        return self.owner["actor_id"]

    @property
    def event_filter(self) -> EventFilter:
        return EventFilter.from_dict(self.filter)

    def is_owned_by(self, actor: Actor) -> bool:
        return actor.id == self.owner_id

    def is_visible_to(self, actor: Actor) -> bool:
        return self.is_owned_by(actor) or actor.role in OVERSEERS

    def change(self, *, actor: Actor, label: str | None, event_filter: EventFilter | None,
               channel: dict | None, answers_for: set[UUID], ctx: Context) -> None:
        """Changes label, filter or destination. Only the owner does: the destination is
        theirs. The kind of channel stays (cancel and subscribe again to change it)."""
        if not self.is_owned_by(actor):
            raise Forbidden("Only the subscription's owner changes it.")
        if not self.active:
            raise RuleViolation("The subscription is cancelled.")
        kind = self.channel["kind"]
        if channel and channel.get("kind", kind) != kind:
            raise field_error("channel", "the kind of channel cannot change; cancel and "
                                         "subscribe again")
        foreign = sorted(set(channel or {}) - {"kind", *CHANNEL_FIELDS[kind]})
        if foreign:
            raise field_error("channel", f"a {kind} channel has no {', '.join(foreign)}")
        new_filter = event_filter or self.event_filter
        _check_applicant_scope(actor, new_filter, answers_for)
        merged = {**self.channel, **{k: v for k, v in (channel or {}).items() if v is not None}}
        self._changed(label=self.label if label is None else label, filter=new_filter.as_dict(),
                      channel=merged, ctx=ctx)

    @event("Changed")
    def _changed(self, label: str, filter: dict, channel: dict, ctx: Context) -> None:
        self.label = label
        self.filter = filter
        self.channel = channel

    def cancel(self, *, actor: Actor, ctx: Context) -> None:
        """Cancelled by its owner, or by the DRC or ops (a destination that only fails)."""
        if not self.is_visible_to(actor):
            raise Forbidden("Only the owner, the DRC or ops cancel a subscription.")
        if not self.active:
            raise Conflict("The subscription is already cancelled.")
        self._cancelled(ctx=ctx)

    @event("Cancelled")
    def _cancelled(self, ctx: Context) -> None:
        self.active = False

    # -- backfill: the events before the subscription (backfill_state.py) -------------------

    def start_backfill(self, *, actor: Actor, since: datetime | None, rate: float,
                       start: dict[str, int], at: datetime, ctx: Context) -> list:
        """Delivers the history (since ``since``; all of it if None) at ``rate`` events
        a second; returns the new fence of each source, to be saved with it. One
        backfill at a time: a second would race the first over the same deferred events."""
        if not self.is_visible_to(actor):
            raise Forbidden("Only the owner, the DRC or ops backfill a subscription.")
        if not self.active:
            raise RuleViolation("The subscription is cancelled.")
        if backfill_state.is_open(self.backfill):
            raise Conflict("A backfill of this subscription is under way; cancel it first.")
        number = self.backfill["number"] + 1 if self.backfill else 1
        self._backfill_started(since=since, rate=rate, start=start, at=at, ctx=ctx, number=number)
        return [BackfillFence(subscription_id=self.id, source=source, number=number, ctx=ctx)
                for source in start]

    @event("BackfillStarted")
    def _backfill_started(self, since: datetime | None, rate: float, start: dict,
                          at: datetime, ctx: Context, number: int) -> None:
        self.backfill = backfill_state.started(since, rate, start, at, number)

    def advance_backfill(self, *, positions: dict[str, int], delivered: int,
                         ctx: Context) -> None:
        self._backfill_advanced(positions=positions, delivered=delivered, ctx=ctx)

    @event("BackfillAdvanced")
    def _backfill_advanced(self, positions: dict, delivered: int, ctx: Context) -> None:
        self.backfill = backfill_state.advanced(self.backfill, positions, delivered)

    def backfill_caught_up(self, *, source: str, at: datetime, ctx: Context) -> None:
        """The backfill has read ``source`` up to what the live path applied (committed
        with the source's ``BackfillFence``); the last source completes it."""
        self._backfill_caught_up(source=source, at=at, ctx=ctx)

    @event("BackfillCaughtUp")
    def _backfill_caught_up(self, source: str, at: datetime, ctx: Context) -> None:
        self.backfill = backfill_state.caught_up(self.backfill, source, at)

    def cancel_backfill(self, *, actor: Actor, at: datetime, ctx: Context) -> None:
        """Stops delivering the history; what followed the subscription still comes."""
        if not self.is_visible_to(actor):
            raise Forbidden("Only the owner, the DRC or ops cancel a backfill.")
        if self.backfill is None or self.backfill["status"] != backfill_state.RUNNING:
            raise Conflict("No backfill of this subscription is running.")
        self._backfill_cancelled(at=at, ctx=ctx)

    @event("BackfillCancelled")
    def _backfill_cancelled(self, at: datetime, ctx: Context) -> None:
        self.backfill = backfill_state.cancelled(self.backfill, at)


class BackfillFence(Aggregate):
    """Where the live path and a backfill meet for one source: the live path records
    each event it leaves to the backfill here, and the backfill records here that it
    hands the source over. Both write the same aggregate, so when they decide at once,
    on what the other had not committed yet, one of the two commits is refused and
    decides again: a live event is never left to a backfill that has just handed over,
    whichever process applies it."""

    @staticmethod
    def create_id(subscription_id: UUID, source: str, number: int, **_: Any) -> UUID:
        return stable_id("backfill-fence", subscription_id, source, number)

    @event("Opened")
    def __init__(self, subscription_id: UUID, source: str, number: int, ctx: Context):
        self.subscription_id = subscription_id
        self.source = source
        self.handed_over = False

    def defer(self, *, position: int, ctx: Context) -> None:
        if self.handed_over:
            raise Conflict(f"{self.source} is handed over to the live path.")
        self._deferred(position=position, ctx=ctx)

    @event("Deferred")
    def _deferred(self, position: int, ctx: Context) -> None:
        pass  # the write is the point: it refuses a hand-over decided without this event

    def hand_over(self, *, position: int, ctx: Context) -> None:
        if self.handed_over:
            raise Conflict(f"{self.source} is handed over already.")
        self._handed_over(position=position, ctx=ctx)

    @event("HandedOver")
    def _handed_over(self, position: int, ctx: Context) -> None:
        self.handed_over = True


def may_hear_of(owner: dict, event_type: str, base_id: UUID | None) -> bool:
    """Whether a subscription's owner may be told of an event of ``event_type`` about
    ``base_id`` (None: about no base) at all, whatever its filter says. Subscribing
    refuses what this would hold back; checked again for every delivery, so that a
    subscription recorded before the rule existed leaks nothing either."""
    return owner["role"] != "applicant" or base_id is not None or event_type in PUBLIC_WITHOUT_BASE


def _check_applicant_scope(actor: Actor, event_filter: EventFilter, answers_for: set[UUID]) -> None:
    if actor.role != "applicant":
        return
    private = sorted(t for t in event_filter.event_types
                     if not about_a_base(t) and t not in PUBLIC_WITHOUT_BASE)
    if private:
        raise field_error("filter.event_types", f"{', '.join(private)} concern every base; "
                                                "an applicant hears of its own bases' events and "
                                                f"of {', '.join(PUBLIC_WITHOUT_BASE)}")
    if not event_filter.base_ids:
        raise field_error("filter.base_ids", "an applicant subscribes to the bases it answers "
                                             "for; name them", Forbidden)
    foreign = sorted(str(b) for b in set(event_filter.base_ids) - answers_for)
    if foreign:
        raise field_error("filter.base_ids", f"not bases this applicant answers for: "
                                             f"{', '.join(foreign)}", Forbidden)


class Delivery(Aggregate):
    """One event for one subscription: scheduled once, attempted until delivered or
    finally failed, re-sendable by ops. Inbox deliveries are delivered on arrival."""

    @staticmethod
    def create_id(subscription_id: UUID, event_id: UUID, **_: Any) -> UUID:
        """One delivery per (subscription, event): a second one collides in the store."""
        return stable_id("delivery", subscription_id, event_id)

    @event("Scheduled")
    def __init__(self, subscription_id: UUID, event_id: UUID, owner_id: UUID, channel: str,
                 subject: str | None, event_type: str, envelope: dict, title: str, message: str,
                 at: datetime, ctx: Context):
        self.subscription_id = subscription_id
        self.event_id = event_id
        self.owner_id = owner_id
        self.channel = channel
        self.subject = subject
        self.event_type = event_type
        self.envelope = envelope
        self.title = title
        self.message = message
        self.correlation_id = ctx.correlation_id
        self.attempts: list[dict] = []
        self.cycle_start = 0  # attempts before the last re-send do not count against the limit
        self.lease_until: datetime | None = None
        self.read_at: datetime | None = None
        inbox = channel == "inbox"
        self.status = "delivered" if inbox else "pending"
        self.due_at: datetime | None = None if inbox else at
        self.delivered_at: datetime | None = at if inbox else None

    # -- the sender's steps ------------------------------------------------------------------

    @property
    def is_final(self) -> bool:
        return self.status in FINAL

    def is_due(self, now: datetime) -> bool:
        return self.status == "pending" and self.due_at is not None and self.due_at <= now

    def is_interrupted(self, now: datetime) -> bool:
        """An attempt started and its lease ran out with no outcome: the process died."""
        return self.status == "sending" and self.lease_until is not None and self.lease_until <= now

    def begin_attempt(self, *, now: datetime, policy: RetryPolicy, ctx: Context) -> int:
        """Claims the delivery for one attempt until ``now + lease``; the write is the
        claim, so two senders cannot both attempt it."""
        if not self.is_due(now):
            raise Conflict(f"Delivery {self.id} is not due ({self.status}).")
        number = len(self.attempts) + 1
        self._attempt_started(number=number, at=now, lease_until=now + policy.lease, ctx=ctx)
        return number

    @event("AttemptStarted")
    def _attempt_started(self, number: int, at: datetime, lease_until: datetime,
                         ctx: Context) -> None:
        self.attempts.append({"number": number, "started_at": at, "finished_at": None,
                              "outcome": None, "detail": None, "error": None,
                              "counted": None, "retry_at": None})
        self.status = "sending"
        self.lease_until = lease_until

    def succeed(self, *, number: int, now: datetime, detail: str, ctx: Context) -> None:
        self._check_current(number)
        self._delivered(number=number, at=now, detail=detail[:MAX_ERROR_LENGTH], ctx=ctx)

    @event("Delivered")
    def _delivered(self, number: int, at: datetime, detail: str, ctx: Context) -> None:
        self.attempts[number - 1].update(finished_at=at, outcome="delivered", detail=detail)
        self.status = "delivered"
        self.delivered_at = at
        self.due_at = self.lease_until = None

    def fail(self, *, number: int, now: datetime, error: str, counted: bool,
             policy: RetryPolicy, ctx: Context) -> None:
        """Records a failed attempt and when to try again. Only ``counted`` failures (the
        receiver's) use up attempts and lengthen its backoff; ours are retried while
        they last, at most ``infrastructure_retry`` apart."""
        self._check_current(number)
        earlier = self.attempts[self.cycle_start:number - 1]
        if counted:
            counted_failures = 1 + sum(1 for a in earlier if a["counted"])
            retry_at = (now + policy.delay(counted_failures)
                        if counted_failures < policy.max_attempts else None)
        else:
            since_counted = 1
            for attempt in reversed(earlier):
                if attempt["counted"]:
                    break
                since_counted += 1
            retry_at = now + policy.infrastructure_delay(since_counted)
        self._attempt_failed(number=number, at=now, error=error[:MAX_ERROR_LENGTH],
                             counted=counted, retry_at=retry_at, ctx=ctx)

    def interrupt(self, *, now: datetime, policy: RetryPolicy, ctx: Context) -> None:
        """Closes an attempt whose sender died: it may or may not have arrived, so it
        counts, and the delivery is tried again (same delivery id: receivers de-duplicate)."""
        if not self.is_interrupted(now):
            raise Conflict(f"Delivery {self.id} has no interrupted attempt.")
        self.fail(number=len(self.attempts), now=now, counted=True, policy=policy, ctx=ctx,
                  error="Interrupted: no outcome was recorded before the attempt's lease "
                        "expired (the sender stopped); it may have arrived.")

    @event("AttemptFailed")
    def _attempt_failed(self, number: int, at: datetime, error: str, counted: bool,
                        retry_at: datetime | None, ctx: Context) -> None:
        self.attempts[number - 1].update(finished_at=at, outcome="failed", error=error,
                                         counted=counted, retry_at=retry_at)
        self.status = "pending" if retry_at else "failed"
        self.due_at = retry_at
        self.lease_until = None

    def _check_current(self, number: int) -> None:
        if self.status != "sending" or number != len(self.attempts):
            raise Conflict(f"Attempt {number} of delivery {self.id} is not in progress.")

    # -- ops and owners ----------------------------------------------------------------------

    def resend(self, *, actor: Actor, now: datetime, ctx: Context) -> None:
        """Ops sends a finished delivery again (the receiver fixed its endpoint, or lost
        the data): a new cycle of attempts, with the same delivery id."""
        if actor.role != "ops":
            raise Forbidden("Only ops re-sends deliveries.")
        if self.channel == "inbox":
            raise RuleViolation("Inbox deliveries are stored, not sent; nothing to re-send.")
        if self.status == "abandoned":
            raise RuleViolation("The delivery was abandoned: its subscription is cancelled.")
        if not self.is_final:
            raise Conflict(f"The delivery is {self.status}; it will be attempted anyway.")
        self._resend_requested(at=now, ctx=ctx)

    @event("ResendRequested")
    def _resend_requested(self, at: datetime, ctx: Context) -> None:
        self.status = "pending"
        self.due_at = at
        self.cycle_start = len(self.attempts)

    def abandon(self, *, reason: str, now: datetime, ctx: Context) -> None:
        """Stops a delivery that is waiting (its subscription was cancelled)."""
        if self.status != "pending":
            raise Conflict(f"Only a waiting delivery is abandoned; this one is {self.status}.")
        self._abandoned(reason=reason, at=now, ctx=ctx)

    @event("Abandoned")
    def _abandoned(self, reason: str, at: datetime, ctx: Context) -> None:
        self.status = "abandoned"
        self.due_at = None

    def mark_read(self, *, actor: Actor, now: datetime, ctx: Context) -> bool:
        """The owner read an inbox item; False if it was already read. Whose it is comes
        first: another reader is not told how the delivery was sent."""
        if actor.id != self.owner_id:
            raise Forbidden("Only the inbox's owner marks its items read.")
        if self.channel != "inbox":
            raise RuleViolation("Only inbox deliveries are read here.")
        if self.read_at is not None:
            return False
        self._read(at=now, ctx=ctx)
        return True

    @event("Read")
    def _read(self, at: datetime, ctx: Context) -> None:
        self.read_at = at


class KnownBase(Aggregate):
    """A declared base as this service knows it (from BaseDeclared): enough to filter by
    kind and region, to name it in messages, and to know which applicant declared it."""

    @staticmethod
    def create_id(base_id: UUID, **_: Any) -> UUID:
        return stable_id("known-base", base_id)

    @event("Noted")
    def __init__(self, base_id: UUID, name: str, kind: str, region: dict,
                 competent_department: str, declared_by: UUID | None, ctx: Context):
        self.base_id = base_id
        self.name = name
        self.kind = kind
        self.region = region
        self.competent_department = competent_department
        self.declared_by = declared_by

    @property
    def facts(self) -> BaseFacts:
        return BaseFacts(self.base_id, self.name, self.kind, self.region, self.competent_department)


class KnownBatch(Aggregate):
    """A declaration batch as this service knows it (from BatchOpened), to name it."""

    @staticmethod
    def create_id(batch_id: UUID, **_: Any) -> UUID:
        return stable_id("known-batch", batch_id)

    @event("Noted")
    def __init__(self, batch_id: UUID, name: str, ctx: Context):
        self.batch_id = batch_id
        self.name = name


@dataclass(frozen=True)
class Dispatch:
    """What one attempt sends and where: built when the attempt is claimed, never stored
    (it holds the webhook secret)."""

    delivery_id: UUID
    subscription_id: UUID
    attempt: int
    channel: str
    destination: str
    secret: str | None = field(repr=False)
    event_type: str
    event_id: UUID
    title: str
    message: str
    envelope: dict

    @classmethod
    def of(cls, delivery: Delivery, subscription: Subscription) -> "Dispatch":
        """The current attempt of ``delivery``, to the subscription's current destination
        (so that a corrected URL or address serves the retries)."""
        channel = subscription.channel
        return cls(
            delivery_id=delivery.id, subscription_id=subscription.id,
            attempt=len(delivery.attempts), channel=channel["kind"],
            destination=channel.get("url") or channel.get("address") or "",
            secret=channel.get("secret"), event_type=delivery.event_type,
            event_id=delivery.event_id, title=delivery.title, message=delivery.message,
            envelope=delivery.envelope,
        )


@dataclass(frozen=True)
class Outcome:
    """How one attempt ended, as the sender reports it: delivered with the receiver's
    answer, or failed with the error (``counted`` unless our own side failed)."""

    dispatch: Dispatch
    delivered: bool
    detail: str
    counted: bool = True
