"""The platform's hot paths in one process, for profiling and for before/after numbers.

The end-to-end benchmarks share two cores with RabbitMQ, four services and whoever else
is testing; a change of 10 % drowns in that noise. These drive the same code paths
(the backbone's ``Subscription`` and ``OutboxRelay``, the real applications on SQLite)
without the broker or HTTP, and report CPU milliseconds per event:

``consume``: BaseDeclared envelopes, as the relay publishes them, through a consumer's
``Consumer._handle`` (decode, validate, gap check, reaction, commit with tracking).
``relay``: declarations saved by the registry application, then published by its
relay to a publisher that only counts (mapping, validation, confirm bookkeeping, position).
``deliver``: as ``consume notifications`` with a webhook subscription to every
BaseDeclared, each delivery then claimed, "sent" (to a channel that only counts) and
closed, as the sender does: the notifications service's whole cost per notification.

``python -m bench.paths consume notifications --events 2000 [--profile]``.
"""

import argparse
import json
import shutil
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from uuid import uuid4

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.backbone.messaging.consumer import Consumer
from services.backbone.messaging.runs import RunCollector
from services.backbone.kernel.context import Actor, stable_id
from services.backbone.messaging.crash_guard import CrashGuard
from services.backbone.ops.metrics import ServiceMetrics
from services.backbone.messaging.outbox_relay import OutboxRelay
from services.backbone.eventstore.stores import store_env
from services.backbone.settings import Settings, load_settings
from services.contracts import ActorRef, new_event
from services.contracts.signing import Keyring, Signer

from .harness import declaration

REGISTRY_KEY = Signer("registry", Ed25519PrivateKey.generate())  # the source the benchmarks play
APPLICANT = Actor(id=uuid4(), role="applicant", name="申报单位")
DRC = Actor(id=uuid4(), role="drc", name="省发展改革委")
RUBRICS = {"regional": "regional-2017.1", "university": "university-2017.1",
           "enterprise": "enterprise-2017.1"}


def _app(name: str, directory: Path):
    from services.backbone.runner import service_class

    from services.backbone.config import load_config

    # The local configuration with the stores in ``directory``: encrypted where it encrypts.
    config = load_config("local", {"store": {"backend": "sqlite", "sqlite_dir": str(directory)}},
                         environ={})
    app_class = next(d for d in vars(service_class(name)).values()
                     if hasattr(d, "application_class")).application_class
    app = app_class(env=store_env(Settings.from_dict(config).store, name))
    app.metrics = ServiceMetrics(name)
    return app


def _messages(events: int, batch_id) -> list:
    """BaseDeclared envelopes at positions 2, 3, ... as the registry's relay sends them."""
    messages, now = [], datetime.now(timezone.utc)
    for number in range(events):
        body = declaration(str(batch_id), number)
        base_id = stable_id("base", batch_id, body["name"])
        payload = {**body, "base_id": base_id}
        event = new_event(
            event_id=stable_id("event", "registry", base_id, 1), type="BaseDeclared",
            source="registry", position=number + 2, previous_position=number + 1 if number else None,
            occurred_at=now, actor=ActorRef(APPLICANT.id, APPLICANT.role, APPLICANT.name),
            correlation_id=uuid4(), payload=payload)
        body = json.dumps(REGISTRY_KEY.sign(event.to_message()), ensure_ascii=False).encode()
        messages.append(SimpleNamespace(body=body, headers={}, properties={"user_id": "sc-registry"},
                                        channel=SimpleNamespace(connection=True)))
    return messages


def _consumer(app, source: str) -> Consumer:
    """The real consumer, minus nameko: acks go nowhere."""
    settings = load_settings("local", environ={}).consumer
    keys = SimpleNamespace(keyring=Keyring({source: {REGISTRY_KEY.key_id: REGISTRY_KEY.private_key.public_key()}}))
    consumer = Consumer(app, source, settings, RunCollector(settings.max_run, 0.0), dead_letters=None,
                        source_log=None, keys=keys, users=(f"sc-{source}", f"sc-{app.name}"),
                        ack=lambda message: None, requeue=None)
    consumer.applier.guard = CrashGuard(app, source)
    return consumer


def _relay(app, publisher) -> OutboxRelay:
    """The relay as the service configures it (``relay:`` of the local config)."""

    relay = load_settings("local", environ={}).relay
    signer = Signer(app.name, Ed25519PrivateKey.generate())
    return OutboxRelay(app, publisher, namespace="bench", signer=signer, batch_size=relay.batch_size,
                       save_interval=relay.position_save_seconds)


def consume(service: str, events: int, directory: Path, run: int = 1) -> float:
    """CPU seconds for ``service`` to consume ``events`` BaseDeclared messages, arriving
    ``run`` at a time (1: each handled before the next arrives, as under light load)."""
    app = _app(service, directory)
    batch_id = uuid4()
    if service == "evaluation":
        now = datetime.now(timezone.utc)
        batch_id = app.open_batch(name="基准", opens_at=now - timedelta(days=1),
                                  closes_at=now + timedelta(days=30), quota=10,
                                  rubrics=RUBRICS, ctx=DRC.context()).id
    messages = _messages(events, batch_id)
    consumer = _consumer(app, "registry")
    outbox = _relay(app, _CountingPublisher())
    started = time.process_time()
    for first in range(0, len(messages), run):
        for message in messages[first:first + run]:
            consumer.runs.put(message)
        while consumer.runs.qsize():
            consumer.process_next()
        _run_if_woken(outbox)
    outbox.drain()  # the relay's timer
    spent = time.process_time() - started
    assert app.last_position("registry") == events + 1, app.last_position("registry")
    app.close()
    return spent


def deliver(events: int, directory: Path) -> float:
    """CPU seconds for notifications to consume ``events`` BaseDeclared messages with one
    webhook subscription, and to claim, send and close each delivery (one at a time)."""
    from services.notifications.domain import Outcome
    from services.notifications.matching import RetryPolicy

    app = _app("notifications", directory)
    app.configure(load_settings("local", environ={}, overrides={
        "notifications": {"webhook": {"private_hosts": ["127.0.0.1:9"]}}}).notifications)
    department = Actor(id=uuid4(), role="department", name="科技厅", org="科技厅")
    app.subscribe(label="基准", filter={"event_types": ["BaseDeclared"]},
                  channel={"kind": "webhook", "url": "http://127.0.0.1:9/hook"},
                  actor=department, ctx=department.context())
    policy = RetryPolicy(max_attempts=5, backoff=timedelta(seconds=1),
                         backoff_max=timedelta(minutes=5), lease=timedelta(seconds=30))
    messages = _messages(events, uuid4())
    consumer = _consumer(app, "registry")
    sent = 0
    started = time.process_time()
    for message in messages:
        consumer.runs.put(message)
        consumer.process_next()
        due, _ = app.attempts.due(app.clock(), exclude=set())
        dispatches = app.attempts.take(due, policy)
        sent += len(dispatches)
        app.attempts.record_outcomes([Outcome(d, delivered=True, detail="HTTP 200") for d in dispatches], policy)
    spent = time.process_time() - started
    assert sent == events, sent
    app.close()
    return spent


def _run_if_woken(outbox: OutboxRelay) -> None:
    """What the relay's thread does when a save wakes it (here: at once, every time)."""
    if outbox._wakeup.is_set():
        outbox._wakeup.clear()
        outbox.drain()


class _CountingPublisher:
    def __init__(self):
        self.published = 0

    def publish(self, **message) -> None:
        self.published += 1

    def publish_all(self, messages) -> None:
        self.published += len(messages)

    def close(self) -> None:
        pass


def relay(events: int, directory: Path) -> float:
    """CPU seconds to declare ``events`` bases and publish them through the relay, woken
    after every save as in the service (a publication per wake, as under light load)."""
    from services.registry.domain import DeclarationBatch

    app = _app("registry", directory)
    now = datetime.now(timezone.utc)
    batch = DeclarationBatch(batch_id=uuid4(), name="基准", opens_at=now - timedelta(days=1),
                             closes_at=now + timedelta(days=30), quota=10, ctx=DRC.context())
    app.save(batch)
    publisher = _CountingPublisher()
    outbox = _relay(app, publisher)
    started = time.process_time()
    for number in range(events):
        body = declaration(str(batch.id), number)
        body.pop("batch_id")
        app.declare(**body, batch_id=batch.id, actor=DRC, ctx=DRC.context())
        _run_if_woken(outbox)
    spent = time.process_time() - started
    assert publisher.published == events
    app.close()
    return spent


class StoreCalls:
    """Counts the SQLite transactions and commits (each commit is an fsync) made while
    it is active: deterministic, where CPU time is noisy."""

    def __enter__(self) -> "StoreCalls":
        from eventsourcing import sqlite

        self.transactions = self.commits = 0
        self._enter, self._commit = sqlite.SQLiteTransaction.__enter__, sqlite.SQLiteConnection.commit
        calls = self

        def enter(transaction):
            calls.transactions += 1
            return calls._enter(transaction)

        def commit(connection):
            calls.commits += 1
            return calls._commit(connection)

        sqlite.SQLiteTransaction.__enter__, sqlite.SQLiteConnection.commit = enter, commit
        return self

    def __exit__(self, *exc) -> None:
        from eventsourcing import sqlite

        sqlite.SQLiteTransaction.__enter__, sqlite.SQLiteConnection.commit = self._enter, self._commit


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.paths")
    parser.add_argument("path", choices=("consume", "relay", "deliver"))
    parser.add_argument("service", nargs="?", default="notifications")
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--run", type=int, default=1, help="messages waiting at once (consume)")
    parser.add_argument("--profile", action="store_true", help="print a pyinstrument profile")
    args = parser.parse_args(argv)
    directory = Path(tempfile.mkdtemp(prefix="sc-paths-"))
    try:
        run = {"consume": lambda: consume(args.service, args.events, directory, args.run),
               "relay": lambda: relay(args.events, directory),
               "deliver": lambda: deliver(args.events, directory)}[args.path]
        with StoreCalls() as calls:
            if args.profile:
                from pyinstrument import Profiler

                with Profiler(interval=0.0005) as profiler:
                    spent = run()
                print(profiler.output_text(unicode=True, color=False, show_all=False))
            else:
                spent = run()
        n = args.events
        print(f"{args.path} { {'consume': args.service, 'relay': 'registry', 'deliver': 'notifications'}[args.path]}: "
              f"{1000 * spent / n:.3f} ms CPU, {calls.transactions / n:.2f} store transactions, "
              f"{calls.commits / n:.2f} commits per event ({n} events)")
    finally:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
