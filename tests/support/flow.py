"""A stream of declarations through all four services, and the check that each one
took effect exactly once everywhere (used by the reliability tests that break things)."""

import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from uuid import uuid4

import requests
from nameko.standalone.rpc import ClusterRpcProxy

from services.backbone.store import store_env
from services.evaluation.application import EvaluationApplication
from services.evaluation.domain import Base as EvaluationBase
from services.funding.application import FundingApplication
from services.funding.eligibility import BaseStanding
from services.notifications.application import NotificationsApplication
from services.notifications.domain import Delivery
from services.registry.application import RegistryApplication
from services.registry.domain import Base as RegistryBase
from tests.support.fixtures import declaration
from tests.support.platform import wait_until

SERVICES = ("registry", "evaluation", "funding", "notifications")
APPLICATIONS = {"registry": RegistryApplication, "evaluation": EvaluationApplication,
                "funding": FundingApplication, "notifications": NotificationsApplication}


def call(platform, service, method, path, role="drc", **kwargs):
    return requests.request(method, platform.url(service, path), headers=platform.headers(role, **kwargs.pop("scope", {})),
                            timeout=15, **kwargs)


def prepare(platform) -> tuple[str, str]:
    """A batch open in evaluation (so the registry accepts declarations) and a
    department's inbox subscription to every BaseDeclared."""
    now = datetime.now(timezone.utc)
    batch = call(platform, "evaluation", "POST", "/batches", json={
        "name": "2017年第一批", "opens_at": (now - timedelta(days=1)).isoformat(),
        "closes_at": (now + timedelta(days=30)).isoformat(), "quota": 12})
    assert batch.status_code == 201, batch.text
    batch_id = batch.json()["batch_id"]
    wait_until(lambda: call(platform, "registry", "GET", "/batches").json()["batches"], timeout=30,
               message="the batch to reach the registry")
    subscriber = uuid4()
    subscription = call(platform, "notifications", "POST", "/subscriptions", role="department",
                        scope={"actor_id": subscriber, "org": "山西省科学技术厅", "name": "山西省科学技术厅"},
                        json={"filter": {"event_types": ["BaseDeclared"]}, "channel": {"kind": "inbox"}})
    assert subscription.status_code == 201, subscription.text
    return batch_id, subscription.json()["subscription_id"]


def declare_until_acknowledged(platform, batch_id, name, tally: Counter) -> None:
    while True:
        tally["requests"] += 1
        try:
            status = call(platform, "registry", "POST", "/bases", json=declaration(batch_id, name=name)).status_code
        except requests.RequestException:
            status = "no answer"
        if status in (201, 409):
            tally[status] += 1
            return
        tally["retried"] += 1
        time.sleep(0.2)


def converged(platform) -> bool:
    """Every consumer has applied everything its sources published, and nothing waits."""
    statuses = {s: call(platform, s, "GET", "/ops/status", role="ops").json() for s in SERVICES}
    for service, status in statuses.items():
        if status["relay"]["lag"]:
            return False
        for source, consumer in status["consumers"].items():
            if consumer["last_position"] < (statuses[source]["relay"]["published"] or 0):
                return False
    return True


def effects(app, event_class, key) -> Counter:
    return Counter(key(event) for _, event in app.all_events() if isinstance(event, event_class))


def check_effects_once_everywhere(platform, names: list[str], tally: Counter) -> dict:
    """Waits until every service has caught up, compares each one's read models with a
    rebuild from its log, and asserts that each acknowledged declaration took effect
    exactly once in each service. Stops the platform. Returns the figures."""
    wait_until(lambda: converged(platform), timeout=120, interval=0.5, message="every service to catch up")
    with ClusterRpcProxy(platform.config_for_clients(), timeout=30,
                         context_data={"authorization": f"Bearer {platform.token('ops')}"}) as cluster:
        digests = {service: getattr(cluster, service).views_digest() for service in SERVICES}
    platform.shutdown()

    apps = {s: APPLICATIONS[s](env=store_env(platform.config, s)) for s in SERVICES}
    counts = {
        "registry": effects(apps["registry"], RegistryBase.Declared, lambda e: e.name),
        "evaluation": effects(apps["evaluation"], EvaluationBase.DeclarationReceived, lambda e: e.name),
        "funding": effects(apps["funding"], BaseStanding.Declared, lambda e: e.name),
        "notifications": effects(apps["notifications"], Delivery.Scheduled,
                                 lambda e: e.envelope["payload"]["name"]),
    }
    report = {"commands sent": len(names), "requests": tally["requests"],
              "acknowledged": tally[201] + tally[409], "acknowledged as already done (409)": tally[409],
              "retried": tally["retried"]}
    for service, counter in counts.items():
        report[f"{service}: effects"] = sum(counter.values())
        report[f"{service}: duplicates"] = sum(n - 1 for n in counter.values() if n > 1)
        report[f"{service}: lost"] = len(set(names) - set(counter))
    try:
        assert report["acknowledged"] == len(names)
        for service, counter in counts.items():
            assert set(counter) == set(names), f"{service} lost {sorted(set(names) - set(counter))[:5]}"
            assert all(n == 1 for n in counter.values()), f"{service} applied something twice"
        for service, app in apps.items():
            app.views.rebuild()
            assert app.views.digest() == digests[service], f"{service}'s read models differ from a rebuild"
    finally:
        for app in apps.values():
            app.close()
    return report
