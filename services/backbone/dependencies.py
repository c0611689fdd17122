"""The event-store dependency: each nameko service gets its own eventsourcing application.

One application per container, built from config (SQLite or PostgreSQL); the outbox
relay runs beside it for as long as the container runs. Workers receive the application
itself: ``self.app.declare(...)``.
"""

import logging

import eventlet

from kombu import Connection
from nameko.extensions import DependencyProvider, SharedExtension

from services.backbone.messaging.broker import ConfirmedPublisher
from services.backbone.ops.metrics import ServiceMetrics
from services.backbone.messaging.outbox_relay import OutboxRelay
from services.backbone.eventstore.stores import open_application
from services.backbone.keys import ServiceKeys
from services.backbone.messaging.topology import check_topology

log = logging.getLogger(__name__)


class StoreCloser(SharedExtension):
    """Closes the service's store last: nameko stops shared extensions after every
    dependency, so subscriptions and senders still using the store have finished."""

    def __init__(self):
        super().__init__()
        self.apps = []

    def stop(self):
        for app in self.apps:
            app.close()

    kill = stop


class EventStore(DependencyProvider):
    """Provides the service's ``ServiceApplication`` and runs its outbox relay."""

    closer = StoreCloser()
    keys = ServiceKeys()

    def __init__(self, application_class):
        self.application_class = application_class

    def setup(self):
        settings = self.container.config["PLATFORM"]
        broker = settings.broker
        name = self.application_class.name
        with Connection(broker.url) as connection:
            check_topology(connection, broker.namespace, name)
        self.app = open_application(self.application_class, settings.store, name)
        self.app.configure(settings.service(name))
        self.closer.apps.append(self.app)
        self.app.metrics = metrics = ServiceMetrics(self.application_class.name)
        self.app.on_save(lambda recordings: metrics.events_appended.inc(len(recordings)))
        relay = settings.relay
        self.app.signer = self.keys.signer  # the relay and the log's readers sign with it
        self.relay = OutboxRelay(
            self.app,
            ConfirmedPublisher(broker.url, heartbeat=0),
            namespace=broker.namespace,
            signer=self.keys.signer,
            batch_size=relay.batch_size,
            poll_interval=relay.poll_interval_seconds,
            metrics=metrics,
            save_interval=relay.position_save_seconds,
        )
        metrics.read_at_scrape(metrics.relay_lag, "relay_lag", self.relay.lag)
        metrics.read_at_scrape(metrics.log_head, "log_head", self.app.head)
        self.relay_enabled = relay.enabled
        self.app.relay = self.relay  # health checks and ops tools read its state

    def start(self):
        self.app.views.catch_up()
        self._relay_thread = None
        if self.relay_enabled:
            self._relay_thread = self.container.spawn_managed_thread(
                self.relay.run_forever, identifier="outbox-relay")
        self._following = True
        self.container.spawn_managed_thread(self._follow_other_writers, identifier="views-follower")

    def _follow_other_writers(self):
        """Folds what other instances of this service wrote (a revoked token above all)
        into the read models once a second, so that a check that must not read the store
        (a token's) sees it within seconds; a store that does not answer is tried again."""
        while self._following:
            eventlet.sleep(1.0)
            try:
                self.app.views.catch_up()
            except Exception as error:  # the store is away: the next turn tries again
                log.debug("views of %s not caught up: %r", self.app.name, error)

    def stop(self):
        self._following = False
        self.relay.stop()
        if self._relay_thread is not None:
            with eventlet.Timeout(10, False):
                self._relay_thread.wait()

    def kill(self):
        self._following = False
        self.relay.stop()

    def get_dependency(self, worker_ctx):
        return self.app

    def worker_setup(self, worker_ctx):
        # The HTTP entrypoint leaves the request's Idempotency-Key claim on the worker's
        # context (web/idempotent.py); the app adds it to the worker's first commit.
        self.app.claims.hold(getattr(worker_ctx, "idempotency_claim", None))

    def worker_teardown(self, worker_ctx):
        self.app.claims.hold(None)
