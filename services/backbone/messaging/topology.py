"""The broker topology of the platform: who publishes where, who consumes what.

Each service publishes its log to its own topic exchange ``<ns>.<service>.events``
(routing key = event type). Each consumer has one queue per source, bound to every
routing key (``#``): the consumer sees all of a source's events in order and tracks one
position per source. Consumer queues are quorum queues with a single active consumer
(order survives several instances), a broker-side delivery limit, and a dead-letter
queue beside them, to which the broker moves messages at least once.

The topology is declared by an administrator before any service starts (``sc
broker-init``, ``make run``, the tests' fixtures; ``provisioning.py``), so no event is
ever published to an exchange without its consumers' queues; a service may declare
nothing but its RPC queues (``broker_users.py``), and checks at start that its part
exists. Ops put a dead letter back into its queue through the consumer's own replay
exchange ``<ns>.<consumer>.replay`` (direct, routing key = the queue's name).
"""

from amqp.exceptions import NotFound
from kombu import Exchange, Queue, binding

from services.backbone.config import ConfigError

# consumer service -> the services whose logs it consumes
SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    "registry": ("evaluation",),
    "evaluation": ("registry",),
    "funding": ("registry", "evaluation"),
    "notifications": ("registry", "evaluation", "funding"),
}


def events_exchange(namespace: str, source: str) -> Exchange:
    return Exchange(f"{namespace}.{source}.events", type="topic", durable=True)


def replay_exchange(namespace: str, consumer: str) -> Exchange:
    return Exchange(f"{namespace}.{consumer}.replay", type="direct", durable=True)


def dead_letter_exchange(namespace: str) -> Exchange:
    return Exchange(f"{namespace}.dead-letter", type="direct", durable=True)


def inbox_queue_name(namespace: str, consumer: str, source: str) -> str:
    return f"{namespace}.{consumer}.from.{source}"


def dead_letter_queue_name(queue_name: str) -> str:
    return f"{queue_name}.dlq"


def inbox_queue(namespace: str, consumer: str, source: str, delivery_limit: int,
                declare: bool = True) -> Queue:
    """The queue of ``consumer`` for ``source``'s events; a consumer reads it with
    ``declare=False`` (it may not declare: the administrator has)."""
    name = inbox_queue_name(namespace, consumer, source)
    return Queue(
        name,
        bindings=[binding(events_exchange(namespace, source), routing_key="#"),
                  binding(replay_exchange(namespace, consumer), routing_key=name)],
        durable=True,
        no_declare=not declare,
        queue_arguments={
            "x-queue-type": "quorum",
            "x-single-active-consumer": True,
            "x-delivery-limit": int(delivery_limit),
            "x-dead-letter-exchange": dead_letter_exchange(namespace).name,
            "x-dead-letter-routing-key": name,
            # What the broker itself dead-letters (the delivery limit reached) is moved
            # with confirms: kept here until the dead-letter queue has taken it, never
            # dropped when that queue is full. The broker requires reject-publish for it.
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
        },
    )


def dead_letter_queue(namespace: str, consumer: str, source: str) -> Queue:
    name = inbox_queue_name(namespace, consumer, source)
    return Queue(
        dead_letter_queue_name(name),
        exchange=dead_letter_exchange(namespace),
        routing_key=name,
        durable=True,
        queue_arguments={"x-queue-type": "quorum"},
    )


def all_queues(namespace: str, delivery_limit: int) -> list[Queue]:
    queues = []
    for consumer, sources in SUBSCRIPTIONS.items():
        for source in sources:
            queues.append(inbox_queue(namespace, consumer, source, delivery_limit))
            queues.append(dead_letter_queue(namespace, consumer, source))
    return queues


def exchanges(namespace: str) -> list[Exchange]:
    sources = sorted({s for subs in SUBSCRIPTIONS.values() for s in subs})
    return ([dead_letter_exchange(namespace)] + [events_exchange(namespace, s) for s in sources]
            + [replay_exchange(namespace, c) for c in SUBSCRIPTIONS])


def declare_topology(connection, namespace: str, delivery_limit: int) -> None:
    """Declares every exchange, queue and binding of the platform (idempotent), as an
    administrator does."""
    channel = connection.default_channel
    for exchange in exchanges(namespace):
        exchange(channel).declare()
    for queue in all_queues(namespace, delivery_limit):
        queue(channel).declare()


def check_topology(connection, namespace: str, service: str) -> None:
    """Stops a service's start, saying what to run, when its exchange or queues are
    missing (passive declares: they need no permission)."""
    wanted = [(queue.name, "queue") for queue in all_queues(namespace, 1)
              if queue.name.startswith(f"{namespace}.{service}.from.")]
    if any(service in sources for sources in SUBSCRIPTIONS.values()):
        wanted.append((events_exchange(namespace, service).name, "exchange"))
    for name, kind in wanted:
        channel = connection.channel()
        try:
            if kind == "queue":
                channel.queue_declare(name, passive=True)
            else:
                channel.exchange_declare(name, "topic", passive=True)
        except NotFound:
            raise ConfigError(f"the broker has no {kind} {name}: run `sc broker-init` (make run "
                              "does) before starting the services") from None
        finally:
            if channel.is_open:
                channel.close()


# Dead-letter queues are bounded: when one is full the broker refuses further dead
# letters (with publisher confirms the consumer sees the refusal and keeps the message
# in its queue) rather than dropping anything.
POLICIES = [
    {
        "name": "{ns}-dead-letters-bounded",
        "pattern": r"^{ns}\..*\.dlq$",
        "apply-to": "queues",
        "priority": 1,
        "definition": {"max-length-bytes": 1073741824, "overflow": "reject-publish"},
    },
]


def definitions(namespace: str, delivery_limit: int, vhost: str = "/") -> dict:
    """The topology as a RabbitMQ definitions document (infra/rabbitmq/definitions.json),
    importable before any service starts."""
    queues = all_queues(namespace, delivery_limit)
    return {
        "vhosts": [{"name": vhost}],
        "exchanges": [
            {"name": e.name, "vhost": vhost, "type": e.type, "durable": True,
             "auto_delete": False, "internal": False, "arguments": {}}
            for e in exchanges(namespace)
        ],
        "queues": [
            {"name": q.name, "vhost": vhost, "durable": True, "auto_delete": False,
             "arguments": dict(q.queue_arguments or {})}
            for q in queues
        ],
        "bindings": [
            {"source": b.exchange.name, "vhost": vhost, "destination": q.name,
             "destination_type": "queue", "routing_key": b.routing_key, "arguments": {}}
            for q in queues for b in _bindings(q)
        ],
        "policies": [
            {**policy, "vhost": vhost, "name": policy["name"].format(ns=namespace),
             "pattern": policy["pattern"].replace("{ns}", namespace)}
            for policy in POLICIES
        ],
    }


def _bindings(queue: Queue) -> list:
    """A queue's bindings, one binding or several (kombu keeps several as a set: sorted
    here, so that the document is the same in every process)."""
    if queue.bindings:
        return sorted(queue.bindings, key=lambda b: (b.exchange.name, b.routing_key))
    return [binding(queue.exchange, routing_key=queue.routing_key)]
