"""The broker topology of the platform: who publishes where, who consumes what.

Each service publishes its log to its own topic exchange ``<ns>.<service>.events``
(routing key = event type). Each consumer has one queue per source, bound to every
routing key (``#``): the consumer sees all of a source's events in order and tracks one
position per source. Consumer queues are quorum queues with a single active consumer
(order survives several instances), a broker-side delivery limit, and a dead-letter
queue beside them, to which the broker moves messages at least once.

Every service declares the whole topology when it starts, so no event is ever published
to an exchange without its consumers' queues, even if a consumer has never run yet.
"""

from kombu import Exchange, Queue

# consumer service -> the services whose logs it consumes
SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    "registry": ("evaluation",),
    "evaluation": ("registry",),
    "funding": ("registry", "evaluation"),
    "notifications": ("registry", "evaluation", "funding"),
}


def events_exchange(namespace: str, source: str) -> Exchange:
    return Exchange(f"{namespace}.{source}.events", type="topic", durable=True)


def dead_letter_exchange(namespace: str) -> Exchange:
    return Exchange(f"{namespace}.dead-letter", type="direct", durable=True)


def inbox_queue_name(namespace: str, consumer: str, source: str) -> str:
    return f"{namespace}.{consumer}.from.{source}"


def dead_letter_queue_name(queue_name: str) -> str:
    return f"{queue_name}.dlq"


def inbox_queue(namespace: str, consumer: str, source: str, delivery_limit: int) -> Queue:
    name = inbox_queue_name(namespace, consumer, source)
    return Queue(
        name,
        exchange=events_exchange(namespace, source),
        routing_key="#",
        durable=True,
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


def declare_topology(connection, namespace: str, delivery_limit: int) -> None:
    """Declares every exchange, queue and binding of the platform (idempotent)."""
    channel = connection.default_channel
    dead_letter_exchange(namespace)(channel).declare()
    for source in {s for sources in SUBSCRIPTIONS.values() for s in sources}:
        events_exchange(namespace, source)(channel).declare()
    for queue in all_queues(namespace, delivery_limit):
        queue(channel).declare()


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
    sources = sorted({s for subs in SUBSCRIPTIONS.values() for s in subs})
    exchanges = [dead_letter_exchange(namespace)] + [events_exchange(namespace, s) for s in sources]
    queues = all_queues(namespace, delivery_limit)
    return {
        "vhosts": [{"name": vhost}],
        "exchanges": [
            {"name": e.name, "vhost": vhost, "type": e.type, "durable": True,
             "auto_delete": False, "internal": False, "arguments": {}}
            for e in exchanges
        ],
        "queues": [
            {"name": q.name, "vhost": vhost, "durable": True, "auto_delete": False,
             "arguments": dict(q.queue_arguments or {})}
            for q in queues
        ],
        "bindings": [
            {"source": q.exchange.name, "vhost": vhost, "destination": q.name,
             "destination_type": "queue", "routing_key": q.routing_key, "arguments": {}}
            for q in queues
        ],
        "policies": [
            {**policy, "vhost": vhost, "name": policy["name"].format(ns=namespace),
             "pattern": policy["pattern"].replace("{ns}", namespace)}
            for policy in POLICIES
        ],
    }
