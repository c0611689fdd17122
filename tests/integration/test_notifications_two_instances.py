"""Two notifications instances on one store (as behind a load balancer): each sender
starts from the deliveries as it last wrote them, and a delivery the other instance
moved on since is caught at commit and read again, never attempted twice."""

from datetime import timedelta
from uuid import uuid4

import pytest

from services.backbone.kernel.context import Actor
from tests.support.settings import store_env_of
from services.notifications.application import NotificationsApplication
from services.notifications.domain import Delivery, Outcome
from services.notifications.matching import RetryPolicy
from tests.support.upstream import Upstream, base_declared
from tests.support.platform import make_config

POLICY = RetryPolicy(max_attempts=3, backoff=timedelta(0), backoff_max=timedelta(0),
                     lease=timedelta(seconds=30))
KEJITING = Actor(id=uuid4(), role="department", name="山西省科学技术厅", org="山西省科学技术厅")


@pytest.fixture
def instances(tmp_path):
    config = make_config(amqp_uri="amqp://unused/", tmp_path=tmp_path)
    first, second = (NotificationsApplication(env=store_env_of(config, "notifications")) for _ in range(2))
    yield first, second
    first.close()
    second.close()


def test_a_delivery_the_other_instance_sent_meanwhile_is_not_claimed_again(instances):
    first, second = instances
    first.subscribe(label="科技厅", filter={"event_types": ["BaseDeclared"]},
                    channel={"kind": "webhook", "url": "https://kjt.example.cn/hooks", "secret": "s" * 20},
                    actor=KEJITING, ctx=KEJITING.context())
    assert first.receive(Upstream("registry").event("BaseDeclared", base_declared(), role="applicant"))
    (delivery_id,), _ = first.attempts.due(first.clock(), exclude=set())  # first holds it as written

    (dispatch,) = second.attempts.take([delivery_id], POLICY)  # the other instance claims it and sends
    second.attempts.record_outcomes([Outcome(dispatch, delivered=True, detail="HTTP 200")], POLICY)

    assert first.attempts.take([delivery_id], POLICY) == []  # its stale copy is refused at commit
    assert first.attempts.take([delivery_id], POLICY) == []  # the next turn reads the log: delivered
    history = [type(event).__name__ for event in first.history(delivery_id)]
    assert history == ["Scheduled", "AttemptStarted", "Delivered"]
    assert first.get_delivery(delivery_id, KEJITING).status == "delivered"


def test_a_delivery_scheduled_here_is_claimed_without_reading_it_back(instances):
    first, _ = instances
    first.subscribe(label="科技厅", filter={"event_types": ["BaseDeclared"]},
                    channel={"kind": "webhook", "url": "https://kjt.example.cn/hooks", "secret": "s" * 20},
                    actor=KEJITING, ctx=KEJITING.context())
    first.receive(Upstream("registry").event("BaseDeclared", base_declared(), role="applicant"))
    (delivery_id,), _ = first.attempts.due(first.clock(), exclude=set())

    reads = []
    original = first.repository.get
    first.repository.get = lambda aggregate_id, **kw: reads.append(aggregate_id) or original(aggregate_id, **kw)
    (dispatch,) = first.attempts.take([delivery_id], POLICY)
    first.attempts.record_outcomes([Outcome(dispatch, delivered=True, detail="HTTP 200")], POLICY)
    assert delivery_id not in reads
    assert [type(e).__name__ for e in first.history(delivery_id)] == ["Scheduled", "AttemptStarted", "Delivered"]
    assert isinstance(first.find(delivery_id), Delivery)
