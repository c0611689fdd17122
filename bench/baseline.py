"""The raw baseline: the same work as the platform's, without the platform.

No platform code runs here: only the ``eventsourcing`` library, kombu and the standard
library, in plain threads.

``source``: an HTTP server; each ``POST /bases`` appends one event to an eventsourcing
store (``Application.save``), publishes it as a persistent message with a publisher
confirm (kombu ``confirm_publish``), and answers 201.

``consumer``: consumes one quorum queue with acks (prefetch as the platform's); for each
message it records an event and the tracking record (source, position) atomically with
the library's own ``EventSourcedProjection.process_event``, then acks; with
``--webhook`` it then POSTs the message to that URL (the latency benchmark's end).

Run as ``python -m bench.baseline source|consumer ...``; the benchmark starts them.
"""

import argparse
import gc
import json
import signal
import threading
import uuid
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.projection import EventSourcedProjection
from kombu import Connection, Consumer, Exchange, Producer, Queue

EXCHANGE = "raw.registry.events"
CONSUMERS = ("evaluation", "funding", "notifications")


def queue(consumer: str) -> Queue:
    """A queue like the platform's: durable, quorum, single active consumer."""
    return Queue(f"raw.{consumer}.from.registry", exchange=Exchange(EXCHANGE, type="topic"),
                 routing_key="#", durable=True,
                 queue_arguments={"x-queue-type": "quorum", "x-single-active-consumer": True})


def declare(amqp_url: str) -> None:
    with Connection(amqp_url) as connection:
        channel = connection.default_channel
        Exchange(EXCHANGE, type="topic", durable=True)(channel).declare()
        for consumer in CONSUMERS:
            queue(consumer)(channel).declare()


def store_env(url: str) -> dict:
    """An eventsourcing environment from ``sqlite:///path`` or ``postgres://db/schema``."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": parts.path,
                "SQLITE_LOCK_TIMEOUT": "10"}
    return {"PERSISTENCE_MODULE": "eventsourcing.postgres", "POSTGRES_DBNAME": parts.hostname,
            "POSTGRES_HOST": "127.0.0.1", "POSTGRES_PORT": "5432", "POSTGRES_USER": "postgres",
            "POSTGRES_PASSWORD": "", "POSTGRES_SCHEMA": parts.path.strip("/")}


class Declaration(Aggregate):
    @event("Declared")
    def __init__(self, body: dict):
        self.body = body


class Noted(Aggregate):
    @event("Noted")
    def __init__(self, message: dict):
        self.message = message


class Sink(EventSourcedProjection):
    """A consumer's store: one event per message, committed with its tracking record."""

    def policy(self, message, processing: ProcessingEvent) -> None:
        processing.collect_events(Noted(message))


# -- the source -------------------------------------------------------------------------


def serve_source(port: int, amqp_url: str, store: str) -> None:
    app = Application(env=store_env(store))
    local = threading.local()

    def producer() -> Producer:
        if not hasattr(local, "producer"):
            connection = Connection(amqp_url, transport_options={"confirm_publish": True})
            local.producer = Producer(connection.channel())
        return local.producer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out at once

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            declaration = Declaration(body)
            position = app.save(declaration)[0].notification.id
            message = {"event_id": str(uuid.uuid4()), "type": "BaseDeclared", "source": "registry",
                       "position": position, "payload": body}
            producer().publish(json.dumps(message, ensure_ascii=False).encode(), exchange=EXCHANGE,
                               routing_key="BaseDeclared", delivery_mode=2,
                               content_type="application/json", message_id=message["event_id"])
            answer = json.dumps({"base_id": str(declaration.id), **body}, ensure_ascii=False).encode()
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    server.serve_forever()


# -- a consumer --------------------------------------------------------------------------


def consume(consumer: str, amqp_url: str, store: str, prefetch: int, webhook: str | None) -> None:
    sink = Sink(env=store_env(store))
    hook = HTTPConnection(urlsplit(webhook).netloc, timeout=30) if webhook else None
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())

    def on_message(body, message):
        data = json.loads(message.body)
        try:
            sink.process_event(data, Tracking("registry", data["position"]))
        except IntegrityError:
            pass  # a redelivery: already recorded
        message.ack()
        if hook is not None:
            hook.request("POST", urlsplit(webhook).path, body=json.dumps({"event": data}).encode(),
                         headers={"Content-Type": "application/json"})
            hook.getresponse().read()

    with Connection(amqp_url) as connection:
        with Consumer(connection, queues=[queue(consumer)], callbacks=[on_message],
                      accept=None, prefetch_count=prefetch, no_ack=False):
            while not stopping.is_set():
                try:
                    connection.drain_events(timeout=0.5)
                except TimeoutError:
                    pass


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.baseline")
    commands = parser.add_subparsers(dest="command", required=True)
    source = commands.add_parser("source")
    source.add_argument("--port", type=int, required=True)
    source.add_argument("--amqp", required=True)
    source.add_argument("--store", required=True)
    sink = commands.add_parser("consumer")
    sink.add_argument("name", choices=CONSUMERS)
    sink.add_argument("--amqp", required=True)
    sink.add_argument("--store", required=True)
    sink.add_argument("--prefetch", type=int, default=50)
    sink.add_argument("--webhook")
    args = parser.parse_args(argv)
    # as the platform's runner does once a service has started: what start-up built,
    # out of the cyclic collector's sight, so neither side stalls on scanning it
    gc.collect()
    gc.freeze()
    if args.command == "source":
        serve_source(args.port, args.amqp, args.store)
    else:
        consume(args.name, args.amqp, args.store, args.prefetch, args.webhook)


if __name__ == "__main__":
    main()
