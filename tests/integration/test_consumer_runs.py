"""Messages that wait together are applied together: one commit for the run, the same
result as one at a time, and one at a time whenever the run cannot be applied whole.
The subscription's own logic over a real SQLite store, without the broker."""

import json
import threading
from types import SimpleNamespace
from uuid import uuid4

import eventlet
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.application import ProcessingEvent

from services.backbone.messaging.consumer import Consumer
from services.backbone.messaging.runs import RunCollector
from services.contracts.signing import Keyring, Signer
from services.backbone.kernel.context import Actor
from services.backbone.messaging.crash_guard import CrashGuard
from services.backbone.ops.metrics import ServiceMetrics
from tests.support.settings import settings_of, store_env_of
from services.contracts import CATALOG
from services.funding.application import FundingApplication
from services.funding.eligibility import BaseStanding
from services.registry.application import RegistryApplication
from tests.support.upstream import Upstream, base_declared, batch_opened


class Inbox(Consumer):
    """A consumer without nameko: messages are handed to it, acks and dead letters are
    noted."""

    def __init__(self, app, source: str, linger: float = 0.0):
        settings = settings_of({"consumer": {"max_attempts": 2, "retry_backoff_seconds": 0.0,
                                             "linger_seconds": {}}}).consumer
        self.acked, self.dead = [], []
        dead_letters = SimpleNamespace(publish=lambda body, error, attempts, message_id, refused=None:
                                       self.dead.append(error))
        keys = SimpleNamespace(keyring=Keyring({source: {SOURCE_KEY.key_id: SOURCE_KEY.private_key.public_key()}}))
        super().__init__(app, source, settings, RunCollector(settings.max_run, linger), dead_letters,
                         source_log=None, keys=keys, users=(f"sc-{source}", f"sc-{app.name}"),
                         ack=lambda m: self.acked.append(json.loads(m.body)["position"]), requeue=None)
        self.applier.guard = CrashGuard(app, source)

    def deliver(self, *events) -> None:
        """The events arrive together, then the consumer works until it is idle."""
        for event in events:
            self.runs.put(as_message(event))
        while self.runs.qsize():
            self.process_next()


def as_message(event) -> SimpleNamespace:
    """The event as the queue consumer hands it over."""
    body = json.dumps(SOURCE_KEY.sign(event.to_message()), ensure_ascii=False).encode()
    return SimpleNamespace(body=body, headers={}, properties={"user_id": f"sc-{event.source}"},
                           channel=SimpleNamespace(connection=True))


SOURCE_KEY = Signer("registry", Ed25519PrivateKey.generate())  # the source these tests play


def open_app(app_class, tmp_path):
    app = app_class(env=store_env_of({"store": {"backend": "sqlite", "sqlite_dir": str(tmp_path)}},
                                  app_class.name))
    app.metrics = ServiceMetrics(app_class.name)
    return app


@pytest.fixture
def funding(tmp_path):
    app = open_app(FundingApplication, tmp_path)
    yield app
    app.close()


@pytest.fixture
def registry(tmp_path):
    app = open_app(RegistryApplication, tmp_path)
    yield app
    app.close()


def count_commits(app) -> list:
    commits = []
    record = app._record
    app._record = lambda processing: commits.append(len(processing.events)) or record(processing)
    return commits


def plan_filed(base_id) -> dict:
    return {**CATALOG["PlanFiled"].example, "base_id": str(base_id)}


def test_messages_waiting_together_commit_once_each_reaction_seeing_the_ones_before(funding):
    upstream, base_id = Upstream("registry"), uuid4()
    declared = upstream.event("BaseDeclared", base_declared(base_id))
    filed = upstream.event("PlanFiled", plan_filed(base_id))
    inbox, commits = Inbox(funding, "registry"), count_commits(funding)

    inbox.deliver(declared, filed)

    assert len(commits) == 1  # one transaction for the run
    assert inbox.acked == [declared.position, filed.position]
    assert funding.last_position("registry") == filed.position
    standing = funding.repository.get(base_id)
    assert standing.name == "山西大学" and standing.filed_plan_version == 1
    assert [type(e).__name__ for e in funding.history(base_id)] == ["Recorded", "Declared", "PlanFiled"]


def test_a_run_with_an_event_that_fails_is_applied_one_at_a_time(registry):
    upstream, batch = Upstream("evaluation"), batch_opened()
    opened = upstream.event("BatchOpened", batch)
    unknown_base = upstream.event("BaseAdjusted", {
        "base_id": str(uuid4()), "from_status": "declared", "to_status": "certified",
        "reason": "评选认定", "basis": "selection"})
    closed = upstream.event("BatchClosed", {"batch_id": batch["batch_id"]})
    inbox = Inbox(registry, "evaluation")

    inbox.deliver(opened, unknown_base, closed)

    assert inbox.acked == [opened.position, unknown_base.position, closed.position]
    assert len(inbox.dead) == 1 and "No base" in inbox.dead[0]
    assert registry.parked("evaluation", unknown_base.position).state == "parked"
    assert registry.batches()[0]["closed"] is True
    assert registry.last_position("evaluation") == closed.position


def test_a_redelivered_message_in_a_run_is_skipped_and_the_others_applied(funding):
    upstream = Upstream("registry")
    first, second = (upstream.event("BaseDeclared", base_declared()) for _ in range(2))
    inbox = Inbox(funding, "registry")
    inbox.deliver(first)

    inbox.deliver(first, second)

    assert inbox.progress.outcomes == {"applied": 2, "duplicate": 1}
    assert funding.last_position("registry") == second.position


def test_other_threads_see_only_what_is_committed_while_a_run_is_applied(funding):
    actor = Actor(id=uuid4(), role="service", name="平台")
    standing = BaseStanding(base_id=uuid4(), ctx=actor.context())
    processing = ProcessingEvent()
    processing.collect_events(standing)
    seen = {}
    with funding.repository.reading_through(processing.aggregates):
        seen["in the run"] = standing.id in funding.repository
        other = threading.Thread(target=lambda: seen.update(elsewhere=standing.id in funding.repository))
        other.start()
        other.join()
    seen["after"] = standing.id in funding.repository
    assert seen == {"in the run": True, "elsewhere": False, "after": False}


@pytest.mark.parametrize("linger, commits", ((0.0, 2), (0.5, 1)))
def test_a_message_arriving_within_the_linger_joins_the_first_ones_transaction(funding, linger, commits):
    """At a steady rate nothing waits when a message is taken; a consumer that lingers
    applies what arrives meanwhile in the same commit, one that does not commits each."""
    upstream, base_id = Upstream("registry"), uuid4()
    declared = upstream.event("BaseDeclared", base_declared(base_id))
    filed = upstream.event("PlanFiled", plan_filed(base_id))
    inbox, counted = Inbox(funding, "registry", linger=linger), count_commits(funding)
    inbox.runs.put(as_message(declared))
    eventlet.spawn_after(0.05, inbox.runs.put, as_message(filed))

    inbox.process_next()
    eventlet.sleep(0.1)
    while inbox.runs.qsize():
        inbox.process_next()

    assert len(counted) == commits
    assert inbox.acked == [declared.position, filed.position]
    assert funding.repository.get(base_id).filed_plan_version == 1
