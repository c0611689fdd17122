"""Is the platform's event flow healthy? Queues, dead letters, relay and consumer lags.

Reads queue figures from RabbitMQ's management API when it answers (depth, ready,
unacked, consumers, publish/deliver rates) and falls back to AMQP passive declares
(depth and consumers) when it does not. Asks each service for its relay and consumer
positions over RPC. Compares everything with ``ops.thresholds`` and lists
what is over: ``sc queues`` exits non-zero when that list is not empty, so cron or a
monitor can alert on it.
"""

from dataclasses import asdict, dataclass, replace

import requests
from kombu import Connection

from services.backbone.messaging.broker import management_api, nameko_config
from services.backbone.messaging.topology import SUBSCRIPTIONS, all_queues
from services.backbone.settings import Settings


def thresholds(settings: Settings) -> dict:
    """``ops.thresholds`` as the report shows them."""
    return asdict(settings.ops.thresholds)


@dataclass
class QueueFigures:
    name: str
    kind: str  # inbox | dead_letter | rpc
    messages: int | None  # None only until the management API samples the queue
    ready: int | None
    unacked: int | None
    consumers: int | None
    publish_rate: float | None = None
    deliver_rate: float | None = None


def _kind(name: str) -> str:
    if name.endswith(".dlq"):
        return "dead_letter"
    if name.startswith("rpc-"):
        return "rpc"
    return "inbox"


def _platform_queue_names(settings: Settings) -> list[str]:
    names = [queue.name for queue in all_queues(settings.broker.namespace, settings.consumer.delivery_limit)]
    return names + [f"rpc-{service}" for service in SUBSCRIPTIONS]


def queues_from_management(settings: Settings, timeout: float = 3.0) -> list[QueueFigures]:
    """Figures from the management HTTP API (raises if it does not answer). A queue
    declared since its last statistics sample has no figures yet: it is counted by a
    passive declare rather than shown as empty (it may already hold a dead letter)."""
    api = management_api(settings)
    response = requests.get(api.url("queues/{vhost}"), timeout=timeout, auth=api.auth)
    response.raise_for_status()
    wanted = set(_platform_queue_names(settings))
    figures = [_from_management(queue) for queue in response.json() if queue["name"] in wanted]
    unsampled = [queue.name for queue in figures if queue.messages is None or queue.consumers is None]
    if unsampled:
        figures = complete_unsampled(figures, queues_from_amqp(settings, unsampled))
    return sorted(figures, key=lambda q: q.name)


def _from_management(queue: dict) -> QueueFigures:
    stats = queue.get("message_stats") or {}
    return QueueFigures(
        name=queue["name"], kind=_kind(queue["name"]), messages=queue.get("messages"),
        ready=queue.get("messages_ready"), unacked=queue.get("messages_unacknowledged"),
        consumers=queue.get("consumers"),
        publish_rate=(stats.get("publish_details") or {}).get("rate"),
        deliver_rate=(stats.get("deliver_get_details") or {}).get("rate"),
    )


def complete_unsampled(figures: list[QueueFigures], counted: list[QueueFigures]) -> list[QueueFigures]:
    """The management figures, with the depth and consumers it has not sampled yet taken
    from ``counted`` (passive declares); a queue gone meanwhile is left out."""
    by_name = {queue.name: queue for queue in counted}
    completed = []
    for queue in figures:
        if queue.messages is not None and queue.consumers is not None:
            completed.append(queue)
        elif queue.name in by_name:
            count = by_name[queue.name]
            completed.append(replace(queue, messages=count.messages, ready=count.ready,
                                     consumers=count.consumers))
    return completed


def queues_from_amqp(settings: Settings, names: list[str] | None = None) -> list[QueueFigures]:
    """Figures from passive declares: depth and consumers, no rates, no unacked."""
    figures = []
    with Connection(settings.broker.url, connect_timeout=5) as connection:
        for name in names or _platform_queue_names(settings):
            channel = connection.channel()
            try:
                _, count, consumers = channel.queue_declare(name, passive=True)
            except Exception:  # queue not declared yet (its service never ran)
                continue
            finally:
                try:
                    channel.close()
                except Exception:  # a failed passive declare already closed it
                    pass
            figures.append(QueueFigures(name=name, kind=_kind(name), messages=count,
                                        ready=count, unacked=None, consumers=consumers))
    return sorted(figures, key=lambda q: q.name)


def queue_figures(settings: Settings) -> tuple[list[QueueFigures], str]:
    """The figures and where they came from ("management" or "amqp")."""
    try:
        return queues_from_management(settings), "management"
    except (requests.RequestException, ValueError):
        return queues_from_amqp(settings), "amqp"


def service_statuses(settings: Settings, authorization: str, timeout: float = 3.0) -> dict[str, dict]:
    """Each service's own report (relay and consumers), or why it could not answer."""
    from nameko.standalone.rpc import ClusterRpcProxy

    statuses = {}
    with ClusterRpcProxy(nameko_config(settings), timeout=timeout,
                         context_data={"authorization": authorization}) as cluster:
        for service in SUBSCRIPTIONS:
            try:
                statuses[service] = getattr(cluster, service).ops_status()
            except Exception as error:  # report an unreachable service, do not fail
                statuses[service] = {"error": f"{type(error).__name__}: {error}"}
    return statuses


def platform_report(settings: Settings, authorization: str, include_services: bool = True) -> dict:
    """Everything ops looks at, with the alerts that the thresholds raise."""
    limits = thresholds(settings)
    queues, via = queue_figures(settings)
    services = service_statuses(settings, authorization) if include_services else {}
    alerts = alerts_for(queues, services, limits)
    return {"queues": [asdict(q) for q in queues], "figures_from": via,
            "services": services, "thresholds": limits, "alerts": alerts}


def alerts_for(queues: list[QueueFigures], services: dict, thresholds: dict) -> list[str]:
    alerts = []
    for queue in queues:
        if queue.kind == "dead_letter" and queue.messages > thresholds["dead_letters"]:
            alerts.append(f"{queue.name}: {queue.messages} dead letter(s)")
        elif queue.kind == "inbox" and queue.messages > thresholds["queue_depth"]:
            alerts.append(f"{queue.name}: {queue.messages} messages waiting")
        if queue.kind == "inbox" and queue.consumers == 0 and queue.messages:
            alerts.append(f"{queue.name}: messages waiting and no consumer")
    for service, status in services.items():
        if "error" in status:
            alerts.append(f"{service}: not answering ({status['error']})")
            continue
        relay = status["relay"]
        if relay["lag"] > thresholds["relay_lag"]:
            alerts.append(f"{service}: relay {relay['lag']} positions behind its log")
        if not relay["running"]:
            alerts.append(f"{service}: relay not running ({relay.get('last_error') or 'stopped'})")
        elif (relay.get("failing_seconds") or 0) > thresholds["relay_failing_seconds"]:
            alerts.append(f"{service}: relay failing for {relay['failing_seconds']:.0f}s, "
                          f"nothing published ({relay.get('last_error')})")
        for source, consumer in status.get("consumers", {}).items():
            published = (services.get(source) or {}).get("relay", {}).get("published")
            lag = max(0, (published or 0) - consumer["last_position"]) if published else consumer["lag"]
            consumer["lag"] = lag
            if lag > thresholds["consumer_lag"]:
                alerts.append(f"{service}: {lag} positions of {source} not applied yet")
            forged = consumer.get("outcomes", {}).get("forged", 0)
            if forged > thresholds["forgeries"]:
                alerts.append(f"{service}: refused {forged} forged message(s) claiming to come from "
                              f"{source} (dead-lettered; someone can publish on the broker)")
    return alerts
