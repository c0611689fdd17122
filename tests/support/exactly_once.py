"""The check after a reliability test has broken things while declarations flowed: each
acknowledged declaration took effect exactly once in every service, counted in each
service's log and again in its read models, nothing was set aside on the way (no parked
or invalid outcome, no dead letter, no ParkedEvent in any log), every notification was
delivered, and every read model equals a rebuild from its log."""

import time
from collections import Counter

from nameko.standalone.rpc import ClusterRpcProxy

from services.backbone.eventstore.parked_events import ParkedEvent
from tests.support.settings import store_env_of
from services.backbone.messaging.topology import all_queues
from services.evaluation.application import EvaluationApplication
from services.evaluation.domain import Base as EvaluationBase
from services.funding.application import FundingApplication
from services.funding.eligibility import BaseStanding
from services.funding.views import FundingLedger
from services.notifications.application import NotificationsApplication
from services.notifications.domain import Delivery
from services.registry.application import RegistryApplication
from services.registry.domain import Base as RegistryBase
from tests.support.broker import queue_depth
from tests.support.figures import Figures
from tests.support.flow import SERVICES, ConsumerOutcomes, Declarations, Flow, call, converged, deliveries
from tests.support.platform import wait_until

APPLICATIONS = {"registry": RegistryApplication, "evaluation": EvaluationApplication,
                "funding": FundingApplication, "notifications": NotificationsApplication}


def check_effects_once_everywhere(platform, flow: Flow, client: Declarations, figures: Figures,
                                  outcomes: ConsumerOutcomes | None = None) -> None:
    """Waits until every service has caught up, fills ``figures``, stops the platform
    and asserts; every assertion message carries the figures."""
    figures.update(client.figures())
    try:
        wait_until(lambda: converged(platform), timeout=120, interval=0.5, message="every service to catch up")
        figures["converged"] = True
    except AssertionError:
        figures["converged"] = False  # count what arrived anyway, and say so below
    outcomes = outcomes or ConsumerOutcomes()
    for service in SERVICES:
        outcomes.note(platform, service)
    digests = _live_counts(platform, flow, figures)
    figures["consumer outcomes"] = outcomes.by_service()
    figures["duplicates skipped by consumers"] = outcomes.total("duplicate")
    platform.shutdown()
    apps = {s: APPLICATIONS[s](env=store_env_of(platform.config, s)) for s in SERVICES}
    try:
        counts = _effects_in_logs(apps, flow, figures)
        _assert_once_everywhere(client, counts, outcomes, figures)
        for service, app in apps.items():
            app.views.rebuild()
            figures.expect(app.views.digest() == digests[service], f"{service}'s read models differ from a rebuild")
    finally:
        for app in apps.values():
            app.close()


def _total(platform, service: str, path: str, **kwargs) -> int:
    """The ``total`` of a list, asked again while the service answers that it may well
    succeed then (``Retry-After``: its store was busy, as it may be just after a
    restart); any other answer fails the test with what it said."""
    deadline = time.monotonic() + 30
    while True:
        answer = call(platform, service, "GET", path, params={"limit": 1}, **kwargs)
        if answer.status_code == 200:
            return answer.json()["total"]
        if "Retry-After" not in answer.headers or time.monotonic() > deadline:
            raise AssertionError(f"{service} {path}: {answer.status_code} {answer.text[:500]}")
        time.sleep(float(answer.headers["Retry-After"]))


def _live_counts(platform, flow: Flow, figures: Figures) -> dict:
    """Counts the running services answer (read models), the webhooks received and the
    dead letters; returns the read models' digests."""
    figures["registry: bases listed"] = _total(platform, "registry", "/bases")
    figures["evaluation: bases listed"] = _total(platform, "evaluation", "/bases")
    figures["notifications: inbox items"] = _total(platform, "notifications", "/inbox", role="department",
                                                   scope=flow.subscriber)
    figures["notifications: webhook deliveries delivered"] = deliveries(
        platform, subscription_id=flow.webhook, status="delivered")
    received = [request["headers"].get("X-SC-Delivery") for request in flow.receiver.requests]
    figures["webhooks received (distinct deliveries)"] = len(set(received))
    figures["webhooks received again (at least once)"] = len(received) - len(set(received))
    namespace = platform.config["broker"]["namespace"]
    figures["dead letters"] = {queue.name: depth for queue in all_queues(namespace, 1) if queue.name.endswith(".dlq")
                               if (depth := queue_depth(platform.config, queue.name))}
    with ClusterRpcProxy(platform.config_for_clients(), timeout=30,
                         context_data={"authorization": f"Bearer {platform.token('ops')}"}) as cluster:
        return {service: getattr(cluster, service).views_digest() for service in SERVICES}


def _names(app, event_class, name, where=lambda event: True) -> Counter:
    return Counter(name(event) for _, event in app.all_events() if isinstance(event, event_class) and where(event))


def _effects_in_logs(apps: dict, flow: Flow, figures: Figures) -> dict[str, Counter]:
    """Each service's effects of the declarations, by base name, counted in its log."""
    notifications = apps["notifications"]
    scheduled = {event.originator_id: event.envelope["payload"]["name"] for _, event in notifications.all_events()
                 if isinstance(event, Delivery.Scheduled) and str(event.subscription_id) == flow.webhook}
    counts = {
        "registry": _names(apps["registry"], RegistryBase.Declared, lambda e: e.name),
        "evaluation": _names(apps["evaluation"], EvaluationBase.DeclarationReceived, lambda e: e.name),
        "funding": _names(apps["funding"], BaseStanding.Declared, lambda e: e.name),
        "notifications (inbox)": _names(notifications, Delivery.Scheduled, lambda e: e.envelope["payload"]["name"],
                                        lambda e: str(e.subscription_id) == flow.inbox),
        "notifications (webhook)": Counter(scheduled.values()),
        "notifications (webhook delivered)": _names(notifications, Delivery.Delivered,
                                                    lambda e: scheduled.get(e.originator_id),
                                                    lambda e: e.originator_id in scheduled),
    }
    apps["funding"].views.catch_up()
    figures["funding: bases in the ledger"] = sum(
        1 for base in apps["funding"].views[FundingLedger].bases.values() if base["name"])
    figures["parked events in the logs"] = {service: n for service, app in apps.items()
                                            if (n := sum(_names(app, ParkedEvent.Parked, lambda e: e.position).values()))}
    return counts


def _assert_once_everywhere(client: Declarations, counts: dict[str, Counter], outcomes: ConsumerOutcomes,
                            figures: Figures) -> None:
    acknowledged = client.acknowledged()
    for where, counter in counts.items():
        figures[f"{where}: effects"] = sum(counter.values())
        figures[f"{where}: duplicates"] = sum(n - 1 for n in counter.values() if n > 1)
        figures[f"{where}: lost"] = len(acknowledged - set(counter))
        figures[f"{where}: without an acknowledgement"] = len(set(counter) - acknowledged)
    expect = figures.expect
    expect(figures["converged"], "the services did not catch up within 120 s")
    expect(len(acknowledged) == len(client.attempts), "some commands were refused or not acknowledged")
    for where, counter in counts.items():
        expect(set(counter) == acknowledged, f"{where} lost {sorted(acknowledged - set(counter))[:5]} "
                                             f"or has effects nobody acknowledged {sorted(set(counter) - acknowledged)[:5]}")
        expect(all(n == 1 for n in counter.values()), f"{where} applied something twice")
    for listed in ("registry: bases listed", "evaluation: bases listed", "notifications: inbox items",
                   "notifications: webhook deliveries delivered", "webhooks received (distinct deliveries)",
                   "funding: bases in the ledger"):
        expect(figures[listed] == len(acknowledged), f"{listed} is not the number acknowledged")
    expect(not outcomes.total("parked") and not outcomes.total("invalid"), "a consumer parked or refused an event")
    expect(not figures["dead letters"], "something was dead-lettered")
    expect(not figures["parked events in the logs"], "a log holds a ParkedEvent")
