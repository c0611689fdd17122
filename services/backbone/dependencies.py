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
from services.backbone.eventstore.stores import store_env
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
        self.app = self.application_class(env=store_env(settings.store, name))
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

    def stop(self):
        self.relay.stop()
        if self._relay_thread is not None:
            with eventlet.Timeout(10, False):
                self._relay_thread.wait()

    def kill(self):
        self.relay.stop()

    def get_dependency(self, worker_ctx):
        return self.app
