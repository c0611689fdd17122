"""A stream of declarations through all four services, sent as a real client sends them,
for the reliability tests that break things (``tests/support/exactly_once.py`` then
checks that each acknowledged one took effect exactly once everywhere)."""

import itertools
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from uuid import uuid4

import requests

from tests.support.receivers import WebhookReceiver
from tests.support.fixtures import declaration
from tests.support.platform import wait_until

SERVICES = ("registry", "evaluation", "funding", "notifications")
# Outcomes that do not say whether the command committed: the connection was cut, or a
# gateway or the store did not answer in time (a lost COMMIT reply is one of those).
UNANSWERED = ("no answer", 502, 503, 504)


def call(platform, service, method, path, role="drc", timeout=15, **kwargs):
    """An HTTP request to a service (or one instance of it, ``registry#2``) as ``role``."""
    return requests.request(method, platform.url(service, path), headers=platform.headers(role, **kwargs.pop("scope", {})),
                            timeout=timeout, **kwargs)


@dataclass
class Flow:
    """What the declarations flow into: an open batch, and a department subscribed to
    every BaseDeclared twice, by inbox and by webhook (to a receiver in the test)."""

    batch_id: str
    subscriber: dict  # the department's token scope
    inbox: str
    webhook: str
    receiver: WebhookReceiver

    def close(self) -> None:
        self.receiver.close()


def prepare(platform) -> Flow:
    """Opens a batch in evaluation (so the registry accepts declarations) and subscribes
    a department to BaseDeclared by inbox and by webhook."""
    now = datetime.now(timezone.utc)
    batch = call(platform, "evaluation", "POST", "/batches", json={
        "name": "2017年第一批", "opens_at": (now - timedelta(days=1)).isoformat(),
        "closes_at": (now + timedelta(days=30)).isoformat(), "quota": 12})
    assert batch.status_code == 201, batch.text
    wait_until(lambda: call(platform, "registry", "GET", "/batches").json()["batches"], timeout=30,
               message="the batch to reach the registry")
    subscriber = {"actor_id": uuid4(), "org": "山西省科学技术厅", "name": "山西省科学技术厅"}
    receiver = WebhookReceiver()
    ids = []
    for channel in ({"kind": "inbox"}, {"kind": "webhook", "url": receiver.url(), "secret": "s" * 20}):
        subscription = call(platform, "notifications", "POST", "/subscriptions", role="department",
                            scope=subscriber, json={"filter": {"event_types": ["BaseDeclared"]},
                                                    "channel": channel})
        assert subscription.status_code == 201, subscription.text
        ids.append(subscription.json()["subscription_id"])
    return Flow(batch.json()["batch_id"], subscriber, ids[0], ids[1], receiver)


@dataclass
class Attempt:
    instance: str
    sent: float  # time.monotonic()
    answered: float
    outcome: int | str  # the HTTP status, or "no answer"


class Declarations:
    """The client: declares each name until it is acknowledged, and keeps every attempt.

    Acknowledged means 201, or 409 (already declared) after an earlier attempt of the
    same name went unanswered: that attempt committed and its answer was lost. A 409 for
    a name no attempt could have declared, any other refusal, or no acknowledgement
    within ``patience`` seconds is the platform's failure. Attempts go to the registry's
    instances in turn, as through a load balancer."""

    def __init__(self, platform, batch_id: str, registries=("registry",), patience: float = 90.0):
        self.platform = platform
        self.batch_id = batch_id
        self.registries = tuple(registries)
        self.patience = patience
        self.headers = platform.headers("drc")
        self.attempts: dict[str, list[Attempt]] = {}
        self._turn = itertools.count()

    def declare(self, name: str) -> None:
        history = self.attempts.setdefault(name, [])
        give_up = time.monotonic() + self.patience
        while time.monotonic() < give_up:
            instance = self.registries[next(self._turn) % len(self.registries)]
            sent = time.monotonic()
            outcome = self._post(instance, name)
            history.append(Attempt(instance, sent, time.monotonic(), outcome))
            if outcome not in UNANSWERED:
                return
            time.sleep(0.2)

    def _post(self, instance: str, name: str) -> int | str:
        try:
            return requests.post(self.platform.url(instance, "/bases"), headers=self.headers, timeout=15,
                                 json=declaration(self.batch_id, name=name)).status_code
        except requests.RequestException:
            return "no answer"

    def verdict(self, name: str) -> str:
        history = self.attempts[name]
        last = history[-1].outcome
        if last == 201:
            return "acknowledged"
        if last == 409 and any(attempt.outcome in UNANSWERED for attempt in history[:-1]):
            return "acknowledged after a lost answer"
        return "not acknowledged in time" if last in UNANSWERED else f"refused ({last})"

    def names(self, *verdicts: str) -> set[str]:
        return {name for name in self.attempts if self.verdict(name) in verdicts}

    def acknowledged(self) -> set[str]:
        return self.names("acknowledged", "acknowledged after a lost answer")

    def acknowledged_between(self, start: float, end: float) -> int:
        """How many 201s were answered between two moments (time.monotonic())."""
        return sum(1 for history in self.attempts.values() for attempt in history
                   if attempt.outcome == 201 and start <= attempt.answered <= end)

    def figures(self) -> dict:
        verdicts = Counter(self.verdict(name) for name in self.attempts)
        answers = Counter(str(attempt.outcome) for history in self.attempts.values() for attempt in history)
        return {
            "commands sent": len(self.attempts),
            "requests": sum(answers.values()),
            "acknowledged": len(self.acknowledged()),
            "committed without their client getting an answer (409 after a lost answer)":
                verdicts["acknowledged after a lost answer"],
            "answers lost (no answer, 502-504)": sum(answers[str(outcome)] for outcome in UNANSWERED),
            "refused or not acknowledged": {verdict: n for verdict, n in verdicts.items()
                                            if not verdict.startswith("acknowledged")},
            "answers": dict(answers),
        }


class ConsumerOutcomes:
    """Each service's consumer outcomes (applied, duplicate, parked, invalid, replayed)
    over every life of its processes: a process counts from its start, so a test notes
    the counts of one it is about to kill, and the last lives' are added at the end."""

    def __init__(self):
        self.totals: Counter = Counter()

    def note(self, platform, instance: str) -> bool:
        """Adds an instance's counts so far; False if it did not answer."""
        try:
            status = call(platform, instance, "GET", "/ops/status", role="ops", timeout=3).json()
        except (requests.RequestException, ValueError):
            return False
        for consumer in status["consumers"].values():
            self.totals.update({(status["service"], outcome): n for outcome, n in consumer["outcomes"].items()})
        return True

    def total(self, outcome: str) -> int:
        return sum(n for (_, name), n in self.totals.items() if name == outcome)

    def by_service(self) -> dict:
        services = sorted({service for service, _ in self.totals})
        return {service: {outcome: n for (s, outcome), n in sorted(self.totals.items()) if s == service}
                for service in services}


def converged(platform) -> bool:
    """Every consumer has applied everything its sources published, nothing waits to be
    published, and every notification has been delivered or has finally failed."""
    try:
        answers = {s: call(platform, s, "GET", "/ops/status", role="ops") for s in SERVICES}
        if any(answer.status_code != 200 for answer in answers.values()):
            return False  # a 503: its store did not answer in time; ask again
        statuses = {s: answer.json() for s, answer in answers.items()}
    except (requests.RequestException, ValueError):  # one is still starting
        return False
    for service, status in statuses.items():
        if status["relay"]["lag"]:
            return False
        for source, consumer in status["consumers"].items():
            if consumer["last_position"] < (statuses[source]["relay"]["published"] or 0):
                return False
    return not any(deliveries(platform, status=status) for status in ("pending", "sending"))


def deliveries(platform, **query) -> int:
    """How many notification deliveries match (``status``, ``subscription_id``)."""
    answer = call(platform, "notifications", "GET", "/deliveries", role="ops", params={**query, "limit": 1})
    return answer.json()["total"]
