"""The relay publishes a page of the log before waiting for the broker's confirms, and
records its position only after them; it is woken only by saves it has to publish.
The publisher's confirms are checked against the real broker."""

from datetime import datetime, timedelta, timezone
from uuid import uuid4

import pytest
from amqp.exceptions import MessageNacked
from kombu import Connection, Exchange, Queue

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.backbone.messaging.broker import ConfirmedPublisher
from services.contracts.signing import Signer
from services.backbone.kernel.context import Actor
from services.backbone.messaging.outbox_relay import OutboxRelay, RelayPosition, RelayState
from tests.support.settings import store_env_of
from services.registry.application import RegistryApplication
from services.registry.domain import DeclarationBatch
from tests.support.fixtures import declaration

SIGNER = Signer("registry", Ed25519PrivateKey.generate())

DRC = Actor(id=uuid4(), role="drc", name="省发展改革委")


class Publisher:
    """Notes each batch it is given; fails the first ``failures`` batches."""

    def __init__(self, failures: int = 0):
        self.batches: list[list[dict]] = []
        self.failures = failures

    def publish_all(self, messages: list[dict]) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("broker gone")
        self.batches.append(messages)

    def close(self) -> None:
        pass


@pytest.fixture
def registry(tmp_path):
    app = RegistryApplication(env=store_env_of({"store": {"backend": "sqlite", "sqlite_dir": str(tmp_path)}},
                                            "registry"))
    yield app
    app.close()


def open_batch(app) -> DeclarationBatch:
    now = datetime.now(timezone.utc)
    batch = DeclarationBatch(batch_id=uuid4(), name="2017年第一批", opens_at=now - timedelta(days=1),
                             closes_at=now + timedelta(days=1), quota=12, ctx=DRC.context())
    app.save(batch)
    return batch


def declare(app, batch, name: str) -> None:
    request = {**declaration(batch.id, name=name), "batch_id": batch.id}
    app.declare(**request, actor=DRC, ctx=DRC.context())


def test_only_a_save_with_something_to_publish_wakes_the_relay(registry):
    relay = OutboxRelay(registry, Publisher(), namespace="sc", signer=SIGNER)
    batch = open_batch(registry)  # the registry's own record of a batch: not published
    assert not relay._wakeup.is_set()

    declare(registry, batch, "山西大学")  # BaseDeclared
    assert relay._wakeup.is_set()


def test_internal_events_waiting_for_the_timer_are_not_relay_lag(registry):
    relay = OutboxRelay(registry, Publisher(), namespace="sc", signer=SIGNER)
    batch = open_batch(registry)
    assert relay.lag() == 0

    declare(registry, batch, "山西大学")
    declare(registry, batch, "太原理工大学")
    assert relay.lag() == 2
    relay.drain()
    assert relay.lag() == 0


def test_a_page_is_published_at_once_and_the_position_recorded_after(registry):
    publisher = Publisher()
    relay = OutboxRelay(registry, publisher, namespace="sc", signer=SIGNER)
    batch = open_batch(registry)
    for name in ("山西大学", "太原理工大学", "孝义市"):
        declare(registry, batch, name)

    relay.drain()

    assert len(publisher.batches) == 1
    bodies = [message["body"] for message in publisher.batches[0]]
    # 1 the batch; then each declaration's unit (not published) and its base
    assert [(b["position"], b["previous_position"]) for b in bodies] == [(3, None), (5, 3), (7, 5)]
    assert relay.state.read() == RelayPosition(scanned=7, published=7)


def test_a_page_the_broker_did_not_confirm_is_not_recorded_and_goes_again(registry):
    publisher = Publisher(failures=1)
    relay = OutboxRelay(registry, publisher, namespace="sc", signer=SIGNER)
    batch = open_batch(registry)
    for name in ("山西大学", "太原理工大学"):
        declare(registry, batch, name)

    with pytest.raises(ConnectionError):
        relay.drain()
    assert relay.state.read() == RelayPosition(scanned=0, published=None)

    relay.drain()
    assert [m["body"]["position"] for m in publisher.batches[0]] == [3, 5]  # the bases
    assert relay.state.read() == RelayPosition(scanned=5, published=5)


def test_publish_all_returns_once_every_message_is_confirmed_and_raises_on_a_refusal(rabbit_config):
    url = rabbit_config["AMQP_URI"]
    exchange = Exchange("relay-test", type="direct", durable=True)
    stored = Queue("relay-test.stored", exchange=exchange, routing_key="stored", durable=True)
    full = Queue("relay-test.full", exchange=exchange, routing_key="full", durable=True,
                 queue_arguments={"x-max-length": 0, "x-overflow": "reject-publish"})
    with Connection(url) as connection:
        for queue in (stored, full):
            queue(connection.default_channel).declare()
    publisher = ConfirmedPublisher(url)

    def message(routing_key: str) -> dict:
        return {"exchange": exchange.name, "routing_key": routing_key, "body": {"n": 1},
                "message_id": str(uuid4())}

    publisher.publish_all([message("stored") for _ in range(25)])
    with Connection(url) as connection:
        assert stored(connection.default_channel).queue_declare(passive=True).message_count == 25

    with pytest.raises(MessageNacked):
        publisher.publish_all([message("stored"), message("full"), message("stored")])
    publisher.publish(**message("stored"))  # a new connection after the refusal
    publisher.close()


def test_on_sqlite_a_busy_relay_writes_its_position_at_most_every_interval_and_flushes_when_idle(registry):
    """Positions handled within the interval are held in memory (what the relay and ops
    read), the table behind them: a process started now (after a crash) publishes those
    events again, which consumers skip. ``flush`` (the idle relay's) writes them."""
    publisher = Publisher()
    relay = OutboxRelay(registry, publisher, namespace="sc", signer=SIGNER, save_interval=60)
    batch = open_batch(registry)
    declare(registry, batch, "山西大学")
    relay.drain()  # the first position is written at once
    declare(registry, batch, "太原理工大学")
    relay.drain()  # within the interval: held

    assert relay.state.read() == RelayPosition(scanned=5, published=5)
    assert relay.lag() == 0
    after_a_crash = OutboxRelay(registry, Publisher(), namespace="sc", signer=SIGNER)
    assert after_a_crash.state.read() == RelayPosition(scanned=3, published=3)
    assert after_a_crash.lag() == 1

    relay.state.flush()
    assert OutboxRelay(registry, Publisher(), namespace="sc", signer=SIGNER).state.read() == RelayPosition(5, 5)
    assert not relay.state.unsaved


def test_the_running_relay_records_a_held_position_once_idle_for_the_interval(registry):
    import threading
    import time

    relay = OutboxRelay(registry, Publisher(), namespace="sc", signer=SIGNER, poll_interval=30, save_interval=0.2)
    batch = open_batch(registry)
    declare(registry, batch, "山西大学")
    relay.drain()
    thread = threading.Thread(target=relay.run_forever, daemon=True)
    thread.start()
    try:
        declare(registry, batch, "太原理工大学")  # wakes it: published, position held
        table = RelayState(registry)
        deadline = time.monotonic() + 5
        while table.read() != RelayPosition(5, 5) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert table.read() == RelayPosition(scanned=5, published=5)  # long before the 30 s timer
    finally:
        relay.stop()
        thread.join(timeout=5)


def test_a_held_position_the_store_would_not_take_shows_in_the_relays_status(registry, monkeypatch):
    """The idle flush failing (the store locked or gone) is an error ops must see: the
    table falls behind, and a crash then would republish everything since."""
    import sqlite3

    relay = OutboxRelay(registry, Publisher(), namespace="sc", signer=SIGNER, save_interval=60)
    batch = open_batch(registry)
    declare(registry, batch, "山西大学")
    relay.drain()
    declare(registry, batch, "太原理工大学")
    relay.drain()  # held
    assert relay.status()["last_error"] is None

    def locked(*args, **kwargs):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(relay.state, "_write_row", locked)
    relay._flush()
    status = relay.status()
    assert status["last_error"] == "position not recorded: OperationalError: database is locked"
    assert status["failing_since"] is not None
    assert relay.state.unsaved  # tried again on the next idle turn

    monkeypatch.undo()
    relay._flush()  # the store is back: the error is over
    assert relay.status()["last_error"] is None and not relay.state.unsaved
    assert RelayState(registry).read() == RelayPosition(scanned=5, published=5)
