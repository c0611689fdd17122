"""Talking to the test's RabbitMQ vhost directly: publish envelopes as another service
would, read what a queue holds."""

import json
import os
import socket
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlparse
from uuid import uuid4

from kombu import Connection, Consumer, Queue

from services.backbone.keys import load_keys
from services.backbone.messaging.broker import ConfirmedPublisher
from services.backbone.messaging.broker_users import as_service
from services.backbone.kernel.context import stable_id
from services.backbone.messaging.topology import declare_topology, events_exchange
from services.backbone.settings import Settings
from services.contracts import CATALOG


class UpstreamLog:
    """Plays the part of a source service that has not been built (or is not running):
    numbers its events and chains ``previous_position`` like a real relay, signs them with
    the source's key of this test run and publishes them as the source's broker user."""

    def __init__(self, config: dict, source: str, start: int = 0):
        self.config = config
        self.source = source
        self.position = start
        self.log: list[dict] = []  # every event of this source, published or not
        self.sent: list[dict] = []
        settings = Settings.from_dict(config)
        with Connection(settings.broker.url) as admin:  # as broker-init does
            declare_topology(admin, settings.broker.namespace, settings.consumer.delivery_limit)
        self.signer = load_keys(settings, source).signer
        self.publisher = ConfirmedPublisher(as_service(settings, source).broker.url)

    def envelope(self, event_type: str, payload: dict, *, role: str = "drc",
                 position: int | None = None, previous: int | None = None,
                 schema_version: int | None = None) -> dict:
        previous = self.position if previous is None else previous
        position = previous + 1 if position is None else position
        self.position = max(self.position, position)
        envelope = {
            "event_id": str(stable_id("test-event", self.source, position)),
            "type": event_type,
            "schema_version": schema_version or CATALOG[event_type].current_version,
            "source": self.source,
            "position": position,
            "previous_position": previous or None,
            "occurred_at": datetime.now(timezone.utc).isoformat(),
            "actor": {"id": str(uuid4()), "role": role, "name": "测试"},
            "correlation_id": str(uuid4()),
            "payload": payload,
        }
        envelope = self.signer.sign(envelope)
        self.log.append(envelope)
        return envelope

    def publish(self, envelope: dict | bytes, routing_key: str | None = None) -> None:
        """Publishes as the source would: a dict signed (again, if a test changed it)."""
        if isinstance(envelope, dict):
            envelope = self.signer.sign(envelope)
            self.sent.append(envelope)
            routing_key = routing_key or envelope["type"]
            message_id = envelope["event_id"]
        else:
            message_id = str(uuid4())
        self.publisher.publish(
            exchange=events_exchange(self.config["broker"]["namespace"], self.source).name,
            routing_key=routing_key or "Unknown", body=envelope, message_id=message_id,
        )

    def emit(self, event_type: str, payload: dict, **kwargs) -> dict:
        envelope = self.envelope(event_type, payload, **kwargs)
        self.publish(envelope)
        return envelope

    def close(self):
        self.publisher.close()


def queue_messages(config: dict, queue_name: str, ack: bool = False, idle: float = 0.5) -> list:
    """Every message a queue delivers until it stays idle for ``idle`` seconds; the
    messages go back to the queue unless ``ack``. (Quorum queues with a single active
    consumer refuse basic.get, so this consumes.)"""
    messages = []
    with Connection(config["broker"]["url"]) as connection:
        channel = connection.channel()
        consumer = Consumer(channel, queues=[Queue(queue_name, no_declare=True)],
                            on_message=messages.append, accept=None, prefetch_count=1000)
        with consumer:
            while True:
                try:
                    connection.drain_events(timeout=idle)
                except socket.timeout:
                    break
        # Settled only once the consumer is cancelled: a message requeued while it is
        # still active comes straight back to it (listed twice, and counted twice
        # towards the quorum queue's delivery limit, which dead-letters it after ~10 peeks).
        for message in messages:
            message.ack() if ack else message.requeue()
        channel.close()
    return messages


def queue_depth(config: dict, queue_name: str) -> int:
    with Connection(config["broker"]["url"]) as connection:
        _, count, _ = connection.default_channel.queue_declare(queue_name, passive=True)
        return count


def body_of(message) -> dict:
    return json.loads(message.body)


def headers_of(message) -> dict:
    return message.headers or {}


def fake_source_service(upstream: UpstreamLog, store_fails: int = 0):
    """A stand-in nameko service answering ``events_after`` from an UpstreamLog, so a
    consumer can fill a gap from a source that is not built yet. Its first
    ``store_fails`` calls fail as a real service's do when its store does not answer
    (the store's OperationalError, through the platform's RPC entrypoint); ``calls``
    counts the calls."""
    from eventsourcing.persistence import OperationalError

    from services.backbone.web.entrypoints import rpc

    class FakeSource:
        name = upstream.source
        calls = 0

        @rpc
        def events_after(self, after=0, limit=500):
            FakeSource.calls += 1
            if FakeSource.calls <= store_fails:
                raise OperationalError("database is locked")
            events = sorted((e for e in upstream.log if e["position"] > after),
                            key=lambda e: e["position"])[:limit]
            scanned = events[-1]["position"] if events else after
            return {"events": [upstream.signer.sign(e) for e in events],  # signed as served
                    "scanned": scanned, "head": upstream.position}

    return FakeSource


def broker_address(config: dict) -> tuple[str, int]:
    """The broker's host and AMQP port, from the platform's config."""
    url = urlparse(config["broker"]["url"])
    return url.hostname or "localhost", url.port or 5672


def broker_answers(config: dict) -> bool:
    try:
        socket.create_connection(broker_address(config), timeout=1).close()
        return True
    except OSError:
        return False


def cut_broker_sockets(config: dict, pids) -> int:
    """Destroys (``ss -K``: no AMQP close, no FIN) every TCP connection that these
    processes hold to the broker, as a broker crash or a cable pulled would end them;
    other processes' connections, other tests' among them, are untouched. Returns how
    many were cut."""
    port = broker_address(config)[1]
    inodes = set()
    for pid in pids:
        fd_dir = Path(f"/proc/{pid}/fd")
        for fd in fd_dir.iterdir() if fd_dir.exists() else ():
            try:
                target = os.readlink(fd)
            except OSError:  # closed meanwhile
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    local_ports = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[2].rsplit(":", 1)[1], 16) == port and fields[9] in inodes:
                local_ports.append(int(fields[1].rsplit(":", 1)[1], 16))
    if not local_ports:
        return 0
    selector = " or ".join(f"sport = :{p}" for p in local_ports)
    subprocess.run(["ss", "-K", "-tn", f"( {selector} )"], check=True, capture_output=True, timeout=10)
    return len(local_ports)
