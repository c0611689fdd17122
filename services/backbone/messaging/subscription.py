"""The nameko side of consuming another service's log: ``Subscription("evaluation")``
on a service consumes the queue ``<ns>.<service>.from.evaluation`` and hands every
delivery, in queue order, to a ``Consumer`` (consumer.py), which applies it exactly once.

nameko's own consumer acks a message whose handler raised, and a body it cannot decode
kills its consumer thread; this one does neither: decoding happens in the consumer,
where a bad body is dead-lettered, and a message is acked only after its commit.
"""

import eventlet
from nameko.extensions import DependencyProvider
from services.backbone.messaging.queue_consumers import PromptQueueConsumer

from services.backbone.keys import ServiceKeys
from services.backbone.messaging.broker import ConfirmedPublisher
from services.backbone.messaging.broker_users import broker_user
from services.backbone.messaging.consumer import Consumer
from services.backbone.messaging.parking import DeadLetters
from services.backbone.messaging.runs import CATCH_UP, STOP, RunCollector
from services.backbone.messaging.source_log_client import SourceLog
from services.backbone.messaging.topology import dead_letter_exchange, inbox_queue, inbox_queue_name


class InboxQueueConsumer(PromptQueueConsumer):
    """nameko's queue consumer, handing raw messages to the subscription's own ordered
    queue."""

    @property
    def prefetch_count(self):
        return self.container.config["PLATFORM"].consumer.prefetch

    def get_consumers(self, consumer_cls, channel):
        for provider in self._providers:
            consumer = consumer_cls(queues=[provider.queue], on_message=provider.enqueue,
                                    accept=None)
            consumer.qos(prefetch_count=self.prefetch_count)
            self._consumers[provider] = consumer
        return self._consumers.values()


class Subscription(DependencyProvider):
    """Consumes one source service's log into this service's application."""

    queue_consumer = InboxQueueConsumer()
    keys = ServiceKeys()

    def __init__(self, source: str):
        self.source = source

    def setup(self):
        platform = self.container.config["PLATFORM"]
        self.settings = platform.consumer
        namespace = platform.broker.namespace
        self.service = self.container.service_name
        self.queue = inbox_queue(namespace, self.service, self.source, self.settings.delivery_limit,
                                 declare=False)
        self.queue_name = inbox_queue_name(namespace, self.service, self.source)
        self.runs = RunCollector(self.settings.max_run, self.settings.linger_for(self.service))
        self.dead_letters = DeadLetters(ConfirmedPublisher(platform.broker.url),
                                        dead_letter_exchange(namespace).name, self.queue_name,
                                        self.source, self.service)
        self.users = (broker_user(platform, self.source), broker_user(platform, self.service))
        self.source_log = SourceLog(platform, self.service, self.source, self.keys)
        self.consumer: Consumer | None = None
        self.queue_consumer.register_provider(self)

    def start(self):
        self.consumer = Consumer(
            self._app(), self.source, self.settings, self.runs, self.dead_letters, self.source_log,
            keys=self.keys, users=self.users,
            ack=self.queue_consumer.ack_message, requeue=self.queue_consumer.requeue_message)
        self.runs.put(CATCH_UP)
        self._thread = self.container.spawn_managed_thread(self.consumer.run_forever,
                                                           identifier=f"subscription.{self.source}")

    def stop(self):
        """Stops taking messages, lets the one in hand finish (up to 10 s), then returns:
        the store is closed only after every subscription has stopped."""
        self.queue_consumer.unregister_provider(self)
        self.kill()
        with eventlet.Timeout(10, False):
            self._thread.wait()
        self.dead_letters.close()

    def kill(self):
        if self.consumer is not None:
            self.consumer.running = False
        self.runs.put(STOP)

    def get_dependency(self, worker_ctx):
        return self

    def _app(self):
        """The service's application: the event store is set up before anything starts."""
        from services.backbone.dependencies import EventStore

        for dependency in self.container.dependencies:
            if isinstance(dependency, EventStore) and getattr(dependency, "app", None) is not None:
                return dependency.app
        raise RuntimeError(f"{self.service} has a Subscription but no EventStore")

    def enqueue(self, message):
        """Called by the queue consumer for each delivery, in queue order."""
        self.runs.put(message)

    def status(self) -> dict:
        """What ops needs to know about this subscription."""
        progress = self.consumer.progress
        last = self.consumer.app.last_position(self.source)
        return {
            "queue": self.queue_name,
            "last_position": last,
            "highest_seen": progress.highest_seen,
            "lag": max(0, progress.highest_seen - last),
            "pending_in_process": self.runs.qsize(),
            "outcomes": dict(progress.outcomes),
        }
