"""A backfill in memory: the live path defers to it until it has caught up with what
was applied, then takes over; the history is delivered once and in log order whether
the backfill or the live path got there first; cancelling skips the history only."""

from datetime import datetime, timedelta, timezone
from uuid import uuid4

import pytest

from eventsourcing.persistence import IntegrityError, Tracking

from services.backbone import failpoints
from services.backbone.eventstore.processing import Processing
from services.backbone.kernel.context import Actor
from services.backbone.kernel.errors import Conflict, Forbidden
from services.notifications import backfill_state
from services.notifications.application import NotificationsApplication
from services.backbone.messaging.source_log_client import SourceUnavailable
from services.notifications.backfill import Backfiller
from tests.support.upstream import XIAOYI, Upstream, base_declared

KEJITING = Actor(id=uuid4(), role="department", name="山西省科学技术厅", org="山西省科学技术厅")
OPS = Actor(id=uuid4(), role="ops", name="运维")
INBOX = {"kind": "inbox"}


class PublishedLog:
    """A source's published log as ``SourceLog.page_after`` answers, from a list."""

    def __init__(self, events, page: int = 3):
        self.events, self.page = events, page

    def page_after(self, after):
        entries = [e for e in self.events if e.position > after][:self.page]
        head = self.events[-1].position if self.events else 0
        return entries, entries[-1].position if entries else after, head


@pytest.fixture
def app():
    app = NotificationsApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    yield app
    app.close()


def live(app, registry, log, count=1):
    for _ in range(count):
        event = registry.event("BaseDeclared", base_declared(base=XIAOYI), role="applicant")
        log.append(event)
        assert app.receive(event)
    return log


def run(backfiller, subscription_id, steps=100):
    for _ in range(steps):
        backfiller.step(subscription_id)
        if backfiller.app.get_subscription(subscription_id, OPS).backfill["finished_at"]:
            return
    raise AssertionError("the backfill did not finish")


def delivered(app, subscription_id):
    rows = app.list_deliveries(OPS, subscription_id=subscription_id)
    return [row["event_id"] for row in sorted(rows, key=lambda r: r["sequence"])]


def test_live_events_wait_for_the_backfill_then_flow_live(app):
    registry, log = Upstream("registry"), []
    live(app, registry, log, 5)
    subscription = app.subscribe(label="", filter={}, channel=INBOX, actor=KEJITING, ctx=KEJITING.context(),
                                 backfill={"since": None, "rate": 100})
    assert subscription.backfill["start"] == {"registry": 5, "evaluation": 0, "funding": 0}
    live(app, registry, log, 2)
    assert delivered(app, subscription.id) == [], "deferred to the backfill"

    backfiller = Backfiller(app, {"registry": PublishedLog(log), "evaluation": PublishedLog([]),
                                  "funding": PublishedLog([])})
    run(backfiller, subscription.id)
    state = app.get_subscription(subscription.id, OPS).backfill
    assert state["status"] == "completed" and state["positions"]["registry"] == 7
    live(app, registry, log, 1)  # caught up: the live path delivers again
    assert delivered(app, subscription.id) == [e.event_id for e in log]


def test_a_backfill_sends_nothing_its_subscription_already_has(app):
    registry, log = Upstream("registry"), []
    subscription = app.subscribe(label="", filter={}, channel=INBOX, actor=KEJITING, ctx=KEJITING.context())
    live(app, registry, log, 3)
    app.start_backfill(subscription.id, {"since": None}, actor=KEJITING, ctx=KEJITING.context())
    backfiller = Backfiller(app, {"registry": PublishedLog(log), "evaluation": PublishedLog([]),
                                  "funding": PublishedLog([])})
    run(backfiller, subscription.id)
    assert delivered(app, subscription.id) == [e.event_id for e in log]
    assert app.get_subscription(subscription.id, OPS).backfill["delivered"] == 0


def test_one_backfill_at_a_time_cancelled_by_its_owner_or_an_overseer(app):
    subscription = app.subscribe(label="", filter={}, channel=INBOX, actor=KEJITING, ctx=KEJITING.context(),
                                 backfill={"since": None})
    with pytest.raises(Conflict):
        app.start_backfill(subscription.id, {"since": None}, actor=KEJITING, ctx=KEJITING.context())
    stranger = Actor(id=uuid4(), role="department", name="山西省教育厅")
    with pytest.raises(Forbidden):
        app.cancel_backfill(subscription.id, actor=stranger, ctx=stranger.context())
    assert app.cancel_backfill(subscription.id, actor=OPS, ctx=OPS.context()).backfill["status"] == "cancelled"
    with pytest.raises(Conflict):
        app.cancel_backfill(subscription.id, actor=KEJITING, ctx=KEJITING.context())


def test_cancelled_the_history_is_skipped_and_the_present_is_not():
    registry = Upstream("registry")
    old, new = (registry.event("BaseDeclared", base_declared(), role="applicant") for _ in range(2))
    since = old.occurred_at + timedelta(microseconds=1)
    state = backfill_state.started(None, 10.0, {"registry": old.position}, datetime.now(timezone.utc), 1)
    assert backfill_state.wants(state, old) and backfill_state.wants(state, new)
    assert not backfill_state.wants({**state, "since": since}, old)
    cancelled = backfill_state.cancelled(state, datetime.now(timezone.utc))
    assert not backfill_state.wants(cancelled, old) and backfill_state.wants(cancelled, new)
    assert backfill_state.defers(state, "registry", new.position)
    passed = backfill_state.advanced(state, {"registry": new.position}, 1)
    assert not backfill_state.defers(passed, "registry", old.position)  # replayed by ops: live's
    handed_over = backfill_state.caught_up(state, "registry", datetime.now(timezone.utc))
    assert handed_over["status"] == "completed"
    assert not backfill_state.defers(handed_over, "registry", new.position)


def test_a_source_down_holds_its_backfill_back_and_nothing_is_lost(app):
    registry, log = Upstream("registry"), []
    live(app, registry, log, 4)
    subscription = app.subscribe(label="", filter={}, channel=INBOX, actor=KEJITING, ctx=KEJITING.context(),
                                 backfill={"since": None, "rate": 5})  # a step of one
    source = PublishedLog(log, page=2)
    backfiller = Backfiller(app, {"registry": source, "evaluation": PublishedLog([]),
                                  "funding": PublishedLog([])}, poll_interval=0.5)
    for _ in range(3):  # the empty sources hand over, one delivery is made
        backfiller.step(subscription.id)
    down = source.page_after
    source.page_after = lambda after: (_ for _ in ()).throw(SourceUnavailable("registry is down"))
    backfiller.buffers.clear()  # what was read before is gone with the process, say
    assert backfiller._step_alone(subscription.id) == 0.5
    assert "registry is down" in backfiller.last_error
    source.page_after = down
    run(backfiller, subscription.id)
    assert delivered(app, subscription.id) == [e.event_id for e in log]


def sources(log):
    return {"registry": PublishedLog(log), "evaluation": PublishedLog([]), "funding": PublishedLog([])}


def backfilled_up_to_the_hand_over(app):
    """A backfill that has read all three events applied before it and is about to hand
    registry over (evaluation and funding, empty, are handed over already)."""
    registry, log = Upstream("registry"), []
    live(app, registry, log, 3)
    subscription = app.subscribe(label="", filter={}, channel=INBOX, actor=KEJITING, ctx=KEJITING.context(),
                                 backfill={"since": None, "rate": 100})
    backfiller = Backfiller(app, sources(log))
    for _ in range(3):
        backfiller.step(subscription.id)
    state = app.get_subscription(subscription.id, OPS).backfill
    assert state["positions"]["registry"] == 3 and state["caught_up"] == ["evaluation", "funding"]
    return registry, log, subscription, backfiller


def test_a_live_event_left_to_a_backfill_that_hands_over_meanwhile_is_applied_again(app):
    registry, log, subscription, backfiller = backfilled_up_to_the_hand_over(app)
    event = registry.event("BaseDeclared", base_declared(base=XIAOYI), role="applicant")
    log.append(event)
    processing = Processing(tracking=Tracking("registry", event.position))
    app.policy(event, processing)  # leaves it to the backfill, as the directory says...
    backfiller.step(subscription.id)  # ...which hands over before that commits
    assert "registry" in app.get_subscription(subscription.id, OPS).backfill["caught_up"]
    with pytest.raises(IntegrityError):
        app._commit(processing)  # refused: the fence moved on
    assert app.receive(event)  # applied again, it is delivered live
    assert delivered(app, subscription.id) == [e.event_id for e in log]


def test_a_hand_over_decided_while_a_live_event_is_left_to_it_is_refused(app, monkeypatch):
    registry, log, subscription, backfiller = backfilled_up_to_the_hand_over(app)
    event = registry.event("BaseDeclared", base_declared(base=XIAOYI), role="applicant")
    log.append(event)
    real_hit = failpoints.hit

    def live_event_commits_first(name):
        if name == "notifications.before_backfill_handover":
            monkeypatch.setattr(failpoints, "hit", real_hit)
            assert app.receive(event)  # committed between the hand-over's reads and its write
        return real_hit(name)

    monkeypatch.setattr(failpoints, "hit", live_event_commits_first)
    backfiller.step(subscription.id)
    assert "registry" not in app.get_subscription(subscription.id, OPS).backfill["caught_up"]
    assert delivered(app, subscription.id) == [e.event_id for e in log[:3]]  # left to the backfill
    run(backfiller, subscription.id)
    assert delivered(app, subscription.id) == [e.event_id for e in log]
