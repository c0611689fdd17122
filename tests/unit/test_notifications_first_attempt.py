"""A delivery's first attempt claimed by the consumer, in the transaction that schedules
it, and sent by this process's sender once that has committed; in order, and only where
the sender has room."""

import gc
import logging
from datetime import timedelta
from uuid import uuid4

import pytest

from eventsourcing.persistence import Tracking

from services.backbone.eventstore.processing import Processing
from services.backbone.kernel.context import Actor
from services.notifications.application import NotificationsApplication
from services.notifications.domain import Delivery, Dispatch, Subscription
from services.notifications.matching import EventFilter, RetryPolicy
from services.notifications.sender import Sender
from services.notifications.views import DeliveryBoard
from tests.support.upstream import (
    SXU, XIAOYI, Upstream, adjusted, base_declared, funding_allocated,
)

KEJITING = Actor(id=uuid4(), role="department", name="山西省科学技术厅", org="山西省科学技术厅")
DRC = Actor(id=uuid4(), role="drc", name="省发展改革委")
POLICY = RetryPolicy(max_attempts=3, backoff=timedelta(0), backoff_max=timedelta(0),
                     lease=timedelta(seconds=30))
WEBHOOK = {"kind": "webhook", "url": "https://kjt.example.cn/hooks", "secret": "s" * 20}


class Channels:
    def __init__(self):
        self.sent = []

    def send(self, dispatch):
        self.sent.append(dispatch)
        return "HTTP 200"


@pytest.fixture
def app():
    app = NotificationsApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    yield app
    app.close()


def running_sender(app, concurrency: int = 10) -> Sender:
    """A sender as the service runs one, without its loop: the test turns it."""
    sender = Sender(app, Channels(), POLICY, concurrency=concurrency)
    sender.running = True
    app.sender = sender
    app.on_save(sender.wake)
    return sender


def subscribe(app, actor=KEJITING, **filter_):
    return app.subscribe(label="", filter=filter_, channel=dict(WEBHOOK), actor=actor,
                         ctx=actor.context())


def event_types(app, delivery_id) -> list[str]:
    return [type(event).__name__ for event in app.history(delivery_id)]


def only_delivery(app):
    rows = app.list_deliveries(DRC)
    assert len(rows) == 1
    return rows[0]["delivery_id"]


def a_delivered_declaration(app) -> tuple[Sender, dict]:
    """A running sender and a base whose declaration the DRC's subscription has had
    delivered, so that the base's next events find its key free."""
    sender = running_sender(app)
    subscribe(app, actor=DRC)
    declared = base_declared()
    app.receive(Upstream("registry").event("BaseDeclared", declared, role="applicant"))
    sender.pool.waitall()
    sender.record_finished()
    return sender, declared


def test_the_first_attempt_is_claimed_with_the_delivery_and_sent_after_the_commit(app):
    sender = running_sender(app)
    subscribe(app)
    app.receive(Upstream("registry").event("BaseDeclared", base_declared(), role="applicant"))
    delivery_id = only_delivery(app)
    assert event_types(app, delivery_id) == ["Scheduled", "AttemptStarted"]

    sender.pool.waitall()
    assert [d.delivery_id for d in sender.channels.sent] == [delivery_id]
    assert sender.channels.sent[0].attempt == 1 and sender.channels.sent[0].secret == WEBHOOK["secret"]
    sender.record_finished()
    assert app.get_delivery(delivery_id, KEJITING).status == "delivered"
    assert sender.in_flight == set()


def test_without_a_running_sender_the_delivery_waits_for_the_sender_to_claim_it(app):
    sender = running_sender(app)
    sender.running = False  # stopped, or not started yet
    subscribe(app)
    app.receive(Upstream("registry").event("BaseDeclared", base_declared(), role="applicant"))
    delivery_id = only_delivery(app)
    assert event_types(app, delivery_id) == ["Scheduled"]
    assert sender.channels.sent == [] and sender.in_flight == set()


def test_a_later_event_about_the_same_base_waits_for_the_earlier_delivery(app):
    sender = running_sender(app)
    subscribe(app)
    registry, evaluation = Upstream("registry"), Upstream("evaluation")
    declared = base_declared()
    app.receive(registry.event("BaseDeclared", declared, role="applicant"))
    app.receive(evaluation.event("BaseAdjusted", adjusted(declared["base_id"])))
    first, second = sorted(app.list_deliveries(DRC), key=lambda row: row["sequence"])
    assert first["status"] == "sending" and second["status"] == "pending"
    assert event_types(app, second["delivery_id"]) == ["Scheduled"]

    sender.pool.waitall()
    sender.record_finished()
    sender.dispatch_due()  # the first is final: the sender claims the second, in order
    sender.pool.waitall()
    assert [d.delivery_id for d in sender.channels.sent] == [first["delivery_id"], second["delivery_id"]]


def test_in_a_run_of_events_only_the_first_delivery_of_a_base_is_claimed(app):
    running_sender(app)
    subscribe(app)
    registry = Upstream("registry")
    one, other = base_declared(base=SXU), base_declared(base=XIAOYI)
    app.receive_run([registry.event("BaseDeclared", one, role="applicant"),
                     registry.event("BaseDeclared", other, role="applicant")])
    statuses = {row["subject"]: row["status"] for row in app.list_deliveries(DRC)}
    assert statuses == {f"base:{one['base_id']}": "sending", f"base:{other['base_id']}": "sending"}, \
        "different bases do not wait for each other"

    evaluation = Upstream("evaluation")
    app.receive_run([evaluation.event("BaseAdjusted", adjusted(one["base_id"])),
                     evaluation.event("BaseAdjusted", adjusted(one["base_id"], "warned", "certified"))])
    about_one = sorted((row for row in app.list_deliveries(DRC)
                        if row["subject"] == f"base:{one['base_id']}"), key=lambda row: row["sequence"])
    assert [row["status"] for row in about_one] == ["sending", "pending", "pending"]


def test_a_sender_without_room_leaves_the_claim_to_its_own_turn(app):
    sender = running_sender(app, concurrency=1)
    subscribe(app)
    registry = Upstream("registry")
    app.receive(registry.event("BaseDeclared", base_declared(base=SXU), role="applicant"))
    app.receive(registry.event("BaseDeclared", base_declared(base=XIAOYI), role="applicant"))
    statuses = sorted(row["status"] for row in app.list_deliveries(DRC))
    assert statuses == ["pending", "sending"]
    assert len(sender.in_flight) == 1


def test_a_redelivered_event_hands_nothing_over_twice(app):
    sender = running_sender(app)
    subscribe(app)
    event = Upstream("registry").event("BaseDeclared", base_declared(), role="applicant")
    assert app.receive(event) is True
    assert app.receive(event) is False
    sender.pool.waitall()
    assert len(sender.channels.sent) == 1


def test_two_sources_about_one_base_never_have_two_attempts_in_flight(app):
    """Each source has its own consumer; their transactions overlap. The one that claims
    first holds the key until the board shows its claim, and the sender does not start
    another delivery of the key while one is being attempted, even one placed before."""
    sender, declared = a_delivered_declaration(app)

    claiming = Processing(tracking=Tracking("evaluation", 1))
    app.policy(Upstream("evaluation").event("BaseAdjusted", adjusted(declared["base_id"])), claiming)
    other = Processing(tracking=Tracking("funding", 1))
    app.policy(Upstream("funding").event("FundingAllocated", funding_allocated(declared["base_id"])), other)
    (adjusted_delivery,) = [a for a in claiming.aggregates.values() if isinstance(a, Delivery)]
    (allocated_delivery,) = [a for a in other.aggregates.values() if isinstance(a, Delivery)]
    assert adjusted_delivery.status == "sending" and allocated_delivery.status == "pending"

    app._commit(other)  # the other source's commits first: its delivery is placed first
    app._commit(claiming)
    sender.dispatch_due()
    assert sender.in_flight == {adjusted_delivery.id}, "the key is busy with the claimed attempt"
    sender.pool.waitall()
    sender.record_finished()
    sender.dispatch_due()
    sender.pool.waitall()
    assert [d.delivery_id for d in sender.channels.sent][-2:] == [adjusted_delivery.id, allocated_delivery.id]


def test_a_transaction_that_never_commits_leaves_no_reservation_behind(app):
    sender, declared = a_delivered_declaration(app)
    evaluation = Upstream("evaluation")
    event = evaluation.event("BaseAdjusted", adjusted(declared["base_id"]))
    failed = Processing(tracking=Tracking("evaluation", 1))
    app.policy(event, failed)
    del failed  # its commit failed: the consumer drops it and applies the event again
    assert app.receive(event) is True
    (row,) = [r for r in app.list_deliveries(DRC) if r["event_type"] == "BaseAdjusted"]
    assert row["status"] == "sending"


def test_an_attempt_handed_over_while_the_pool_is_full_waits_for_a_place_and_shows_in_status(app):
    sender = running_sender(app, concurrency=1)
    subscribe(app)
    registry = Upstream("registry")
    app.receive(registry.event("BaseDeclared", base_declared(base=SXU), role="applicant"))
    first = only_delivery(app)
    second = Delivery(subscription_id=uuid4(), event_id=uuid4(), owner_id=KEJITING.id,
                      channel="webhook", subject=None, event_type="BaseDeclared", envelope={},
                      title="", message="", at=app.clock(), ctx=KEJITING.context())
    subscription = app.repository.get(app.list_deliveries(DRC)[0]["subscription_id"])
    assert isinstance(subscription, Subscription)
    second.begin_attempt(now=app.clock(), policy=POLICY, ctx=KEJITING.context())
    sender.accept([Dispatch.of(second, subscription)])  # the pool's one place is taken
    assert sender.status()["waiting_for_room"] == 1 and sender.room() == -1
    sender.pool.waitall()
    sender.record_finished()
    sender.dispatch_due()  # a place is free: the waiting attempt goes before anything new
    sender.pool.waitall()
    assert [d.delivery_id for d in sender.channels.sent] == [first, second.id]
    assert sender.status()["waiting_for_room"] == 0


def test_the_board_is_given_the_claims_just_committed_not_read_back(app):
    """Reading the just-committed events back from the store (and decrypting them) to
    show the claims on the board was a tenth of the service's time."""
    running_sender(app)
    subscribe(app)
    app.views.catch_up()
    read_back, select = [], app.recorder.select_notifications

    def counted(*args, **kwargs):
        page = select(*args, **kwargs)
        read_back.extend(page)
        return page

    app.recorder.select_notifications = counted
    app.receive(Upstream("registry").event("BaseDeclared", base_declared(), role="applicant"))
    delivery_id = only_delivery(app)
    assert event_types(app, delivery_id) == ["Scheduled", "AttemptStarted"]
    assert read_back == []
    assert app.views.position == app.recorder.max_notification_id()


def test_a_claim_the_board_could_not_show_keeps_its_key_until_it_can(app):
    """The board's read after a commit fails (the store did not answer): the key stays
    reserved, though the transaction object is gone, so another source's consumer that
    read the board before that commit leaves its delivery of the key to the sender; the
    sender's next turn, the board caught up, releases it."""
    sender, declared = a_delivered_declaration(app)
    (board,) = [view for view in app.views.views if isinstance(view, DeliveryBoard)]

    claiming = Processing(tracking=Tracking("evaluation", 1))
    app.policy(Upstream("evaluation").event("BaseAdjusted", adjusted(declared["base_id"])), claiming)
    (claimed,) = [a for a in claiming.aggregates.values() if isinstance(a, Delivery)]
    (key,) = app.first_attempts.scheduled_in(claiming)
    earlier = Processing()  # committed, its listeners not run yet: the board waits for it
    earlier.collect_events(Subscription.subscribe(
        owner=KEJITING, label="", event_filter=EventFilter.from_dict({}), channel=dict(WEBHOOK),
        answers_for=set(), ctx=KEJITING.context()))
    app._record(earlier)

    def unanswered(*view_types):
        raise OSError("the store did not answer")

    app.views.caught_up = unanswered
    logging.disable(logging.WARNING)  # a kept log record's traceback would hold the transaction
    try:
        app._commit(claiming)
    finally:
        logging.disable(logging.NOTSET)
    del claiming
    gc.collect()
    assert not board.has_open(*key), "the board shows the claim: nothing tested"
    assert app.first_attempts.reserved(key), "released although the board does not show the claim"

    other = Processing(tracking=Tracking("funding", 1))
    beside = Delivery(subscription_id=claimed.subscription_id, event_id=uuid4(),
                      owner_id=claimed.owner_id, channel="webhook", subject=claimed.subject,
                      event_type="FundingAllocated", envelope={}, title="", message="",
                      at=app.clock(), ctx=DRC.context())
    app.first_attempts.claim(beside, board, other, app.clock(), DRC.context())
    assert beside.status == "pending", "claimed beside the attempt in flight"

    del app.views.caught_up  # the store answers again
    sender.dispatch_due()
    assert not app.first_attempts.reserved(key) and not app.first_attempts.holding
    assert board.has_open(*key)
