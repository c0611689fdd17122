"""The notifications application in memory: subscriptions and their scope, one
delivery per (subscription, event) whatever is redelivered, and the sender's steps."""

from datetime import timedelta
from uuid import uuid4

import pytest
from eventsourcing.application import ProcessingEvent

from services.backbone.kernel.context import Actor
from services.backbone.kernel.errors import Forbidden, RuleViolation
from services.notifications.application import BaseNotYetKnown, NotificationsApplication
from services.notifications.channels import ChannelUnavailable, DeliveryFailed
from services.notifications.domain import Delivery
from services.notifications.matching import RetryPolicy
from services.notifications.sender import Sender
from services.notifications.views import DeliveryBoard, SubscriptionDirectory
from tests.support.upstream import (
    XIAOYI, Upstream, adjusted, base_declared, batch_opened, funding_allocated,
)

KEJITING = Actor(id=uuid4(), role="department", name="山西省科学技术厅", org="山西省科学技术厅")
XIAOYI_GOV = Actor(id=uuid4(), role="county_government", name="孝义市人民政府",
                   region=("吕梁市", "孝义市"))
DRC = Actor(id=uuid4(), role="drc", name="省发展改革委")
POLICY = RetryPolicy(max_attempts=2, backoff=timedelta(0), backoff_max=timedelta(0),
                     lease=timedelta(seconds=30))
WEBHOOK = {"kind": "webhook", "url": "https://kjt.example.cn/hooks", "secret": "s" * 20}


@pytest.fixture
def app():
    app = NotificationsApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    yield app
    app.close()


@pytest.fixture
def registry():
    return Upstream("registry")


@pytest.fixture
def evaluation():
    return Upstream("evaluation")


def subscribe(app, actor=KEJITING, channel=None, **filter_):
    return app.subscribe(label="", filter=filter_, channel=channel or {"kind": "inbox"},
                         actor=actor, ctx=actor.context())


def declare(app, registry, base=None, base_id=None, actor_id=None):
    payload = base_declared(base_id=base_id, **({"base": base} if base else {}))
    app.receive(registry.event("BaseDeclared", payload, role="applicant", actor_id=actor_id))
    return payload["base_id"]


def deliveries(app, actor=DRC, **query):
    return app.list_deliveries(actor, **query)


def test_each_matching_subscription_gets_one_delivery_with_an_id_from_subscription_and_event(
        app, registry, evaluation):
    everything = subscribe(app)
    lvliang = subscribe(app, XIAOYI_GOV, regions=[{"city": "吕梁市"}])
    universities = subscribe(app, DRC, kinds=["university"])
    base_id = declare(app, registry, XIAOYI)
    certified = evaluation.event("BaseAdjusted", adjusted(base_id))
    app.receive(certified)

    rows = deliveries(app)
    by_event = [r for r in rows if r["event_id"] == certified.event_id]
    assert {r["subscription_id"] for r in by_event} == {everything.id, lvliang.id}
    assert universities.id not in {r["subscription_id"] for r in rows}
    for row in by_event:
        assert row["delivery_id"] == Delivery.create_id(row["subscription_id"], certified.event_id)
        assert row["message"].startswith("孝义市 已被认定为省级双创示范基地")


def test_the_same_event_received_again_creates_no_second_delivery(app, registry):
    subscribe(app)
    event = registry.event("BaseDeclared", base_declared())
    assert app.receive(event) is True
    assert app.receive(event) is False
    assert len(deliveries(app)) == 1


def test_an_event_applied_again_by_an_ops_replay_does_not_duplicate_deliveries(app, registry):
    subscribe(app)
    event = registry.event("BaseDeclared", base_declared())
    app.receive(event)
    processing = ProcessingEvent()
    app.policy(event, processing)
    assert [e for e in processing.events if isinstance(e, Delivery.Scheduled)] == []


def test_delivery_carries_the_event_and_the_chinese_message(app, registry):
    subscribe(app, DRC)  # the DRC may read the whole event (contacts included)
    event = registry.event("BaseDeclared", base_declared(base=XIAOYI))
    app.receive(event)
    delivery = app.get_delivery(deliveries(app)[0]["delivery_id"], DRC)
    assert delivery.envelope == event.to_message()
    assert delivery.message.startswith("孝义市 已申报省级双创示范基地")


def test_an_event_about_a_base_not_yet_declared_here_is_refused_so_that_it_is_retried(
        app, registry, evaluation):
    base_id = uuid4()
    quiet = evaluation.event("BaseAdjusted", adjusted(base_id))
    assert app.receive(quiet) is True, "with nobody subscribed there is nothing to wait for"
    subscribe(app, base_ids=[uuid4()])
    assert app.receive(evaluation.event("BaseAdjusted", adjusted(base_id))) is True, \
        "nor when every subscription names other bases"
    subscribe(app)
    early = evaluation.event("BaseAdjusted", adjusted(base_id, "warned", "certified"))
    with pytest.raises(BaseNotYetKnown):
        app.receive(early)
    declare(app, registry, base_id=base_id)
    assert app.receive(early) is True


def test_funding_and_batch_events_are_named_from_what_was_noted_before(app, registry, evaluation):
    subscribe(app)
    batch = batch_opened(name="2018年第二批")
    app.receive(evaluation.event("BatchOpened", batch))
    app.receive(evaluation.event("BatchClosed", {"batch_id": batch["batch_id"]}))
    base_id = declare(app, registry)
    app.receive(Upstream("funding").event("FundingAllocated", funding_allocated(base_id)))
    messages = [r["message"] for r in deliveries(app)]
    assert messages[0].startswith("为 山西大学 安排省级预算内资金 3,000,000.00 元")
    assert "2018年第二批 申报批次已截止申报" in messages


def test_an_applicant_subscribes_only_to_the_bases_it_answers_for(app, registry):
    applicant = Actor(id=uuid4(), role="applicant", name="山西大学")
    own = declare(app, registry, actor_id=applicant.id)
    others = declare(app, registry, XIAOYI)
    with pytest.raises(Forbidden):
        subscribe(app, applicant)
    with pytest.raises(Forbidden):
        subscribe(app, applicant, base_ids=[own, others])
    assert subscribe(app, applicant, base_ids=[own]).active
    delegated = Actor(id=uuid4(), role="applicant", base_ids=(uuid4(),))
    assert subscribe(app, delegated, base_ids=[str(delegated.base_ids[0])]).active


def test_an_applicant_may_not_subscribe_to_events_about_every_base(app, registry):
    """RoundClosed carries every base's score and grade, BudgetEnvelopeOpened every
    base's cap: naming them with its own base would have let them through."""
    applicant = Actor(id=uuid4(), role="applicant", name="山西大学")
    own = declare(app, registry, actor_id=applicant.id)
    for private in ("RoundClosed", "BudgetEnvelopeOpened"):
        with pytest.raises(RuleViolation) as refused:
            subscribe(app, applicant, base_ids=[own], event_types=[private, "BaseAdjusted"])
        assert list(refused.value.fields) == ["filter.event_types"]
        assert private in str(refused.value) and "BaseAdjusted" not in str(refused.value)
    hook = subscribe(app, applicant, base_ids=[own], event_types=["BaseAdjusted"])
    with pytest.raises(RuleViolation, match="RoundClosed"):
        app.change_subscription(hook.id, actor=applicant, ctx=applicant.context(),
                                filter={"base_ids": [own], "event_types": ["RoundClosed"]})
    assert subscribe(app, applicant, base_ids=[own],
                     event_types=["BatchOpened", "BatchClosed", "BaseAdjusted"]).active


def test_an_applicant_subscription_recorded_before_the_rule_gets_no_other_bases_grades(
        app, registry, evaluation):
    from services.notifications.domain import Subscription, owner_of

    applicant = Actor(id=uuid4(), role="applicant", name="山西大学")
    own = declare(app, registry, actor_id=applicant.id)
    other = declare(app, registry, XIAOYI)
    old = Subscription(owner=owner_of(applicant), label="", channel={"kind": "inbox"},
                       filter={"base_ids": [own], "event_types": ["RoundClosed", "BatchOpened",
                                                                   "BaseAdjusted"]},
                       ctx=applicant.context())  # as the log has it: no check then
    app.save(old)
    grades = [{"base_id": str(base), "score": "80.00", "grade": "good",
               "rubric_version": "regional-2017.1"} for base in (own, other)]
    app.receive(evaluation.event("RoundClosed", {
        "round_id": str(uuid4()), "kind": "third_party", "name": "2018年上半年第三方评估",
        "period": "2018H1", "policy_version": "adjustment-2018.1",
        "closed_at": "2018-06-29T17:00:00+08:00", "grades": grades, "withdrawn": []}))
    app.receive(evaluation.event("BatchOpened", batch_opened()))
    app.receive(evaluation.event("BaseAdjusted", adjusted(own)))
    app.receive(evaluation.event("BaseAdjusted", adjusted(other)))
    assert sorted(r["event_type"] for r in deliveries(app, subscription_id=old.id)) == [
        "BaseAdjusted", "BatchOpened"]


def test_a_caller_sees_and_changes_only_its_own_subscriptions_while_the_drc_sees_all(app):
    own = subscribe(app)
    other = subscribe(app, XIAOYI_GOV)
    assert [r["subscription_id"] for r in app.list_subscriptions(KEJITING)] == [own.id]
    assert len(app.list_subscriptions(DRC)) == 2
    assert len(app.list_subscriptions(DRC, owner_id=XIAOYI_GOV.id)) == 1
    with pytest.raises(Forbidden):
        app.get_subscription(other.id, KEJITING)
    with pytest.raises(Forbidden):
        app.change_subscription(other.id, actor=KEJITING, ctx=KEJITING.context(), label="x")
    with pytest.raises(Forbidden):
        app.change_subscription(other.id, actor=DRC, ctx=DRC.context(), label="x")
    app.cancel_subscription(other.id, actor=DRC, ctx=DRC.context())
    assert app.list_subscriptions(XIAOYI_GOV)[0]["status"] == "cancelled"


def test_a_subscription_keeps_its_kind_of_channel_but_may_move_its_destination(app):
    hook = subscribe(app, channel=dict(WEBHOOK))
    with pytest.raises(RuleViolation):
        app.change_subscription(hook.id, actor=KEJITING, ctx=KEJITING.context(),
                                channel={"kind": "email", "address": "kjt@example.cn"})
    with pytest.raises(RuleViolation, match="address"):
        app.change_subscription(hook.id, actor=KEJITING, ctx=KEJITING.context(),
                                channel={"address": "kjt@example.cn"})
    moved = app.change_subscription(hook.id, actor=KEJITING, ctx=KEJITING.context(),
                                    channel={"url": "https://kjt.example.cn/v2"})
    assert moved.channel == {**WEBHOOK, "url": "https://kjt.example.cn/v2"}


def test_a_webhook_secret_is_generated_when_absent_and_kept_out_of_every_read_model(app):
    hook = subscribe(app, channel={"kind": "webhook", "url": "https://kjt.example.cn/hooks"})
    secret = hook.channel["secret"]
    assert len(secret) >= 32
    for view in (app.views[SubscriptionDirectory], app.views[DeliveryBoard]):
        assert secret not in repr(vars(view))
    assert secret not in repr(app.list_subscriptions(KEJITING))


class FakeChannels:
    """Answers each send with the next scripted outcome: a detail, or an exception."""

    def __init__(self, *outcomes):
        self.outcomes = list(outcomes)
        self.sent = []

    def send(self, dispatch):
        self.sent.append(dispatch)
        outcome = self.outcomes.pop(0) if self.outcomes else "HTTP 200"
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def run_sender(app, channels) -> Sender:
    sender = Sender(app, channels, POLICY)
    for _ in range(10):
        due, _ = app.attempts.due(app.clock(), exclude=set())
        for delivery_id in due:
            sender.deliver(delivery_id)
    return sender


def test_the_sender_records_every_attempt_and_fails_after_max_attempts(app, registry):
    subscribe(app, channel=dict(WEBHOOK))
    declare(app, registry)
    channels = FakeChannels(DeliveryFailed("HTTP 503: busy"), DeliveryFailed("HTTP 500: down"))
    run_sender(app, channels)
    delivery = app.get_delivery(deliveries(app)[0]["delivery_id"], KEJITING)
    assert delivery.status == "failed"
    assert [a["error"] for a in delivery.attempts] == ["HTTP 503: busy", "HTTP 500: down"]
    assert channels.sent[0].secret == WEBHOOK["secret"] and channels.sent[0].attempt == 1


def test_the_sender_keeps_retrying_while_our_smtp_server_is_down(app, registry):
    subscribe(app, channel={"kind": "email", "address": "kjt@example.cn"})
    declare(app, registry)
    channels = FakeChannels(*[ChannelUnavailable("SMTP down")] * 5, "accepted")
    run_sender(app, channels)
    delivery = app.get_delivery(deliveries(app)[0]["delivery_id"], KEJITING)
    assert delivery.status == "delivered" and len(delivery.attempts) == 6


def test_deliveries_of_a_cancelled_subscription_are_abandoned_not_sent(app, registry):
    hook = subscribe(app, channel=dict(WEBHOOK))
    declare(app, registry)
    app.cancel_subscription(hook.id, actor=KEJITING, ctx=KEJITING.context())
    declare(app, registry)
    channels = FakeChannels()
    run_sender(app, channels)
    assert channels.sent == []
    assert [r["status"] for r in deliveries(app)] == ["abandoned"]


def test_the_inbox_counts_unread_items_of_its_owner_only(app, registry):
    subscribe(app)
    subscribe(app, XIAOYI_GOV)
    declare(app, registry)
    declare(app, registry)
    assert app.unread_count(KEJITING) == 2
    first = app.inbox(KEJITING)[0]["delivery_id"]
    with pytest.raises(Forbidden):
        app.mark_read(first, actor=XIAOYI_GOV, ctx=XIAOYI_GOV.context())
    app.mark_read(first, actor=KEJITING, ctx=KEJITING.context())
    assert app.unread_count(KEJITING) == 1 and app.unread_count(XIAOYI_GOV) == 2
    assert [r["delivery_id"] for r in app.inbox(KEJITING, unread=False)] == [first]


def test_a_delivery_carries_contact_persons_only_to_those_who_work_with_the_base(app, registry):
    """The event in a delivery is shown as its owner may read it (backbone.privacy)."""
    department = subscribe(app)  # 科技厅: not the base's competent department
    county = subscribe(app, XIAOYI_GOV, regions=[{"city": "吕梁市"}])
    declare(app, registry, XIAOYI)
    envelopes = {row["subscription_id"]: app.get_delivery(row["delivery_id"], DRC).envelope
                 for row in deliveries(app)}
    assert envelopes[county.id]["payload"]["contacts"][0]["phone"] == "0351-7010000"
    assert envelopes[department.id]["payload"]["contacts"] is None
    assert envelopes[department.id]["withheld"] == ["payload.contacts"]
