"""Every service SIGKILLed in turn, at random moments, while declarations flow; each is
restarted. In the end every declaration acknowledged to its client has taken effect
exactly once in every service (registry, evaluation, funding, notifications), and every
service's read models equal a rebuild from its log.

The client behaves as a real one: a request that fails (service down, connection cut)
is retried until it is acknowledged, 201 (declared) or 409 (already declared: an earlier
attempt committed before the process died).
"""

import random
import signal
import threading
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
from tests.reliability.conftest import scale
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


def kill_each_in_turn(platform, stop: threading.Event, kills: list, rounds: int) -> None:
    """SIGKILLs every service in turn (random order, random moments) and restarts it."""
    for _ in range(rounds):
        for service in random.sample(SERVICES, len(SERVICES)):
            if stop.wait(random.uniform(0.5, 2.0)):
                return
            platform.kill(service, signal.SIGKILL)
            kills.append(service)
            time.sleep(random.uniform(0.1, 1.0))
            platform.spawn(service, wait=True)


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


def test_every_acknowledged_command_takes_effect_once_everywhere_despite_kills(platform):
    for service in SERVICES:
        platform.spawn(service)
    batch_id, subscription_id = prepare(platform)

    names, tally, kills, stop = [], Counter(), [], threading.Event()
    killer = threading.Thread(target=kill_each_in_turn, args=(platform, stop, kills, scale(1, 4)))
    killer.start()
    while killer.is_alive() or len(names) < scale(40, 400):  # commands flow through every kill
        names.append(f"示范基地{len(names):04d}")
        declare_until_acknowledged(platform, batch_id, names[-1], tally)
        time.sleep(0.02)
    stop.set()
    killer.join()
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
                                 lambda e: (str(e.subscription_id), e.envelope["payload"]["name"])),
    }
    report = {"commands": len(names), "requests": tally["requests"], "acknowledged": tally[201] + tally[409],
              "acknowledged as duplicate (409)": tally[409], "retried": tally["retried"],
              "kills": kills}
    for service, counter in counts.items():
        report[f"{service}: effects"] = sum(counter.values())
        report[f"{service}: duplicates"] = sum(n - 1 for n in counter.values() if n > 1)
    print("\n" + "\n".join(f"  {k}: {v}" for k, v in report.items()))

    assert len(kills) >= len(SERVICES)
    assert report["acknowledged"] == len(names)
    for service, counter in counts.items():
        keys = {name for name in counter} if service != "notifications" else {n for _, n in counter}
        assert keys == set(names), f"{service} lost {sorted(set(names) - keys)[:5]}"
        assert all(n == 1 for n in counter.values()), f"{service} applied something twice"
    assert {sub for sub, _ in counts["notifications"]} == {subscription_id}
    for service, app in apps.items():
        app.views.rebuild()
        assert app.views.digest() == digests[service], f"{service}'s read models differ from a rebuild"
        app.close()
