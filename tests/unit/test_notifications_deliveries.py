"""A delivery's life: attempts, backoff, failure after N, interruption, re-send, inbox
reading; and the board that keeps deliveries about one base in order."""

from datetime import datetime, timedelta, timezone
from uuid import uuid4

import pytest

from services.backbone.kernel.context import Actor
from services.backbone.kernel.errors import Conflict, Forbidden, RuleViolation
from services.notifications.domain import Delivery
from services.notifications.matching import RetryPolicy
from services.notifications.views import DeliveryBoard

T0 = datetime(2017, 10, 1, 9, 0, tzinfo=timezone.utc)
POLICY = RetryPolicy(max_attempts=3, backoff=timedelta(seconds=10),
                     backoff_max=timedelta(seconds=60), lease=timedelta(seconds=30))
OWNER = Actor(id=uuid4(), role="department", name="山西省科学技术厅")
OPS = Actor(id=uuid4(), role="ops", name="运维")
CTX = OWNER.context()


def scheduled(channel="webhook", subscription_id=None, subject="base:1", at=T0) -> Delivery:
    return Delivery(subscription_id=subscription_id or uuid4(), event_id=uuid4(),
                    owner_id=OWNER.id, channel=channel, subject=subject, event_type="BaseAdjusted",
                    envelope={"type": "BaseAdjusted"}, title="认定", message="山西大学 已被认定为省级双创示范基地",
                    at=at, ctx=CTX)


def fail(delivery: Delivery, now: datetime, counted=True) -> None:
    number = delivery.begin_attempt(now=now, policy=POLICY, ctx=CTX)
    delivery.fail(number=number, now=now, error="HTTP 500: down", counted=counted,
                  policy=POLICY, ctx=CTX)


def test_the_same_subscription_and_event_always_give_the_same_delivery_id():
    subscription_id, event_id = uuid4(), uuid4()
    assert Delivery.create_id(subscription_id, event_id) == Delivery.create_id(subscription_id, event_id)
    assert Delivery.create_id(subscription_id, event_id) != Delivery.create_id(uuid4(), event_id)


def test_an_inbox_delivery_is_delivered_on_arrival():
    delivery = scheduled(channel="inbox")
    assert delivery.status == "delivered" and delivery.delivered_at == T0
    assert not delivery.is_due(T0 + timedelta(days=1))


def test_a_successful_attempt_delivers():
    delivery = scheduled()
    number = delivery.begin_attempt(now=T0, policy=POLICY, ctx=CTX)
    delivery.succeed(number=number, now=T0 + timedelta(seconds=1), detail="HTTP 200", ctx=CTX)
    assert delivery.status == "delivered"
    assert delivery.attempts[0]["outcome"] == "delivered" and delivery.attempts[0]["detail"] == "HTTP 200"


def test_a_failed_attempt_is_retried_after_a_doubling_backoff_then_failed_after_max_attempts():
    delivery = scheduled()
    fail(delivery, T0)
    assert delivery.status == "pending" and delivery.due_at == T0 + timedelta(seconds=10)
    with pytest.raises(Conflict):
        delivery.begin_attempt(now=T0 + timedelta(seconds=9), policy=POLICY, ctx=CTX)
    fail(delivery, T0 + timedelta(seconds=10))
    assert delivery.due_at == T0 + timedelta(seconds=30)
    fail(delivery, T0 + timedelta(seconds=30))
    assert delivery.status == "failed" and delivery.due_at is None
    assert [a["error"] for a in delivery.attempts] == ["HTTP 500: down"] * 3


def test_failures_of_our_own_infrastructure_do_not_use_up_the_attempts():
    delivery = scheduled(channel="email")
    now = T0
    for _ in range(6):
        fail(delivery, now, counted=False)
        now = delivery.due_at
    assert delivery.status == "pending" and len(delivery.attempts) == 6
    assert delivery.due_at - delivery.attempts[-1]["finished_at"] == POLICY.infrastructure_retry


def test_after_a_long_outage_of_our_own_side_a_delivery_waits_no_longer_than_the_infrastructure_retry():
    """An SMTP server down for hours pushed every mail's next try to backoff_max (an
    hour in production): once it was back, mail still waited up to that hour."""
    policy = RetryPolicy(max_attempts=3, backoff=timedelta(seconds=30),
                         backoff_max=timedelta(hours=1), lease=timedelta(seconds=120),
                         infrastructure_retry=timedelta(seconds=30))
    delivery, now = scheduled(channel="email"), T0

    def attempt(counted: bool) -> timedelta:
        number = delivery.begin_attempt(now=now, policy=policy, ctx=CTX)
        delivery.fail(number=number, now=now, error="x", counted=counted, policy=policy, ctx=CTX)
        return delivery.due_at - now

    for _ in range(12):
        assert attempt(counted=False) == timedelta(seconds=30)
        now = delivery.due_at
    assert attempt(counted=True) == policy.backoff, "the receiver's first failure: the first backoff"
    now = delivery.due_at
    assert attempt(counted=False) == timedelta(seconds=30)
    now = delivery.due_at
    assert attempt(counted=True) == 2 * policy.backoff


def test_an_attempt_whose_lease_expired_is_closed_as_interrupted_and_retried():
    delivery = scheduled()
    delivery.begin_attempt(now=T0, policy=POLICY, ctx=CTX)
    assert not delivery.is_interrupted(T0 + timedelta(seconds=29))
    delivery.interrupt(now=T0 + timedelta(seconds=30), policy=POLICY, ctx=CTX)
    assert delivery.status == "pending"
    assert "Interrupted" in delivery.attempts[0]["error"] and delivery.attempts[0]["counted"]
    assert delivery.begin_attempt(now=delivery.due_at, policy=POLICY, ctx=CTX) == 2


def test_an_outcome_for_an_attempt_that_is_not_in_progress_is_refused():
    delivery = scheduled()
    number = delivery.begin_attempt(now=T0, policy=POLICY, ctx=CTX)
    delivery.succeed(number=number, now=T0, detail="HTTP 200", ctx=CTX)
    with pytest.raises(Conflict):
        delivery.fail(number=number, now=T0, error="late", counted=True, policy=POLICY, ctx=CTX)


def test_ops_resends_a_failed_delivery_with_a_fresh_set_of_attempts():
    delivery = scheduled()
    for n in range(3):
        fail(delivery, delivery.due_at or T0)
    assert delivery.status == "failed"
    with pytest.raises(Forbidden):
        delivery.resend(actor=OWNER, now=T0, ctx=CTX)
    delivery.resend(actor=OPS, now=T0 + timedelta(hours=1), ctx=OPS.context())
    assert delivery.is_due(T0 + timedelta(hours=1))
    fail(delivery, T0 + timedelta(hours=1))
    assert delivery.status == "pending", "attempts before the re-send do not count"
    assert len(delivery.attempts) == 4


def test_only_a_delivered_or_failed_delivery_is_resent_and_never_an_inbox_item():
    with pytest.raises(Conflict):
        scheduled().resend(actor=OPS, now=T0, ctx=CTX)
    abandoned = scheduled()
    abandoned.abandon(reason="订阅已取消", now=T0, ctx=CTX)
    with pytest.raises(RuleViolation, match="cancelled"):
        abandoned.resend(actor=OPS, now=T0, ctx=CTX)
    with pytest.raises(RuleViolation):
        scheduled(channel="inbox").resend(actor=OPS, now=T0, ctx=CTX)


def test_only_the_owner_reads_an_inbox_item_and_reading_twice_changes_nothing():
    item = scheduled(channel="inbox")
    with pytest.raises(Forbidden):
        item.mark_read(actor=OPS, now=T0, ctx=CTX)
    assert item.mark_read(actor=OWNER, now=T0, ctx=CTX) is True
    assert item.mark_read(actor=OWNER, now=T0 + timedelta(minutes=1), ctx=CTX) is False
    assert item.read_at == T0
    with pytest.raises(RuleViolation):
        scheduled().mark_read(actor=OWNER, now=T0, ctx=CTX)


def test_a_reader_not_the_owner_is_refused_before_learning_how_a_delivery_was_sent():
    for channel in ("webhook", "email", "inbox"):
        with pytest.raises(Forbidden):
            scheduled(channel=channel).mark_read(actor=OPS, now=T0, ctx=CTX)


def board_of(*deliveries: Delivery) -> DeliveryBoard:
    """A board folded from the deliveries' events in the order given (their log order)."""
    board = DeliveryBoard()
    events = [e for d in deliveries for e in d.collect_events()]
    for event in sorted(events, key=lambda e: e.timestamp):
        board.apply(event)
    return board


def test_a_later_delivery_about_the_same_base_waits_until_the_earlier_one_is_final():
    subscription_id = uuid4()
    first = scheduled(subscription_id=subscription_id, subject="base:A")
    second = scheduled(subscription_id=subscription_id, subject="base:A")
    board = board_of(first, second)
    assert board.due(T0, exclude=set())[0] == [first.id]

    fail(first, T0)
    for event in first.collect_events():
        board.apply(event)
    due, upcoming = board.due(T0 + timedelta(seconds=5), exclude=set())
    assert due == [] and upcoming == T0 + timedelta(seconds=10), "the second waits for the retry"

    number = first.begin_attempt(now=upcoming, policy=POLICY, ctx=CTX)
    first.succeed(number=number, now=upcoming, detail="HTTP 200", ctx=CTX)
    for event in first.collect_events():
        board.apply(event)
    assert board.due(upcoming, exclude=set())[0] == [second.id]


def test_other_bases_and_other_subscriptions_are_not_held_up():
    subscription_id = uuid4()
    stuck = scheduled(subscription_id=subscription_id, subject="base:A")
    other_base = scheduled(subscription_id=subscription_id, subject="base:B")
    other_subscriber = scheduled(subject="base:A")
    no_subject = scheduled(subscription_id=subscription_id, subject=None)
    board = board_of(stuck, other_base, other_subscriber, no_subject)
    due, _ = board.due(T0, exclude={stuck.id})
    assert due == [other_base.id, other_subscriber.id, no_subject.id]


def apply(board: DeliveryBoard, *deliveries: Delivery) -> None:
    for delivery in deliveries:
        for event in delivery.collect_events():
            board.apply(event)


LATER = T0 + timedelta(hours=1)


def failed_then_scheduled() -> tuple[Delivery, Delivery, DeliveryBoard]:
    """Two deliveries about one base for one subscription, the first finally failed."""
    subscription_id = uuid4()
    first = scheduled(subscription_id=subscription_id, subject="base:A")
    second = scheduled(subscription_id=subscription_id, subject="base:A")
    for _ in range(3):
        fail(first, first.due_at or T0)
    return first, second, board_of(first, second)


def test_a_failed_delivery_lets_the_next_one_go_and_a_resent_one_joins_the_back_of_the_queue():
    """Put back in its old place, a re-sent delivery that fails again would hold up
    every newer delivery of the base for its whole retry cycle."""
    first, second, board = failed_then_scheduled()
    assert board.due(LATER, exclude=set())[0] == [second.id]
    first.resend(actor=OPS, now=LATER, ctx=CTX)
    apply(board, first)
    assert board.due(LATER, exclude=set())[0] == [second.id], "behind the newer one"
    number = second.begin_attempt(now=LATER, policy=POLICY, ctx=CTX)
    second.succeed(number=number, now=LATER, detail="HTTP 200", ctx=CTX)
    apply(board, second)
    assert board.due(LATER, exclude=set())[0] == [first.id]
    assert [r["delivery_id"] for r in board.select()] == [second.id, first.id], \
        "lists keep the order in which deliveries were scheduled"


def test_a_resent_delivery_is_not_attempted_while_a_later_one_about_its_base_is_in_flight():
    first, second, board = failed_then_scheduled()
    second.begin_attempt(now=LATER, policy=POLICY, ctx=CTX)
    first.resend(actor=OPS, now=LATER, ctx=CTX)
    apply(board, second, first)
    assert board.due(LATER, exclude=set())[0] == [], "one attempt in flight per base"
    assert board.due(LATER, exclude={second.id})[0] == []
    second.fail(number=1, now=LATER, error="HTTP 500", counted=True, policy=POLICY, ctx=CTX)
    apply(board, second)
    assert board.due(second.due_at, exclude=set())[0] == [second.id]
