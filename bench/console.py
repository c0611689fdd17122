"""Benchmark 6: the console's pages (``--only console``): server time per page (首页,
基地 list, a base's detail, its timeline as of a day) at N bases, p50 / p95, beside a raw
baseline that renders the same template from the same data read straight from the
services' APIs with one HTTP client (no console process: no session, no account, no
worker), so the difference is what the console itself costs.

The registry's log is written directly (N bases through their whole lifecycle, as the
memory benchmark does); the other services apply it through the real path before the
pages are timed. A person signs in once, as a browser would, and asks each page in turn.
"""

import re
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from uuid import UUID

import requests
from werkzeug.datastructures import MultiDict

from services.backbone.config import PROJECT_ROOT
from services.backbone.eventstore.stores import store_env
from services.backbone.messaging.provisioning import initialise_broker, remove_users
from services.backbone.settings import Settings
from services.console.api import ServiceApi
from services.console.navigation import navigation
from services.console.pages import base_detail, bases, dashboard
from services.console.rendering import render
from services.console.web import VISIT
from services.registry.application import RegistryApplication
from tests.support.console import ConsoleClient

from .baseline import CONSUMERS
from .harness import Stage, free_port, wait_until
from .logdata import write_registry_log

EVENTS_PER_BASE = 7  # logdata's lifecycle: declared, certified, plan drafted, approved twice, filed, retained
TARGET_P95_MS = 200
CONSOLE = ("console",)


class ConsoleStage(Stage):
    """The bench's platform with the console beside the four services."""

    def __init__(self, label: str, backend: str = "sqlite"):
        super().__init__(label, backend)
        self.ports["console"] = free_port()

    def __enter__(self) -> "ConsoleStage":
        super().__enter__()
        initialise_broker(Settings.from_dict(self.service_config()), CONSOLE)
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
        remove_users(Settings.from_dict(self.service_config()), CONSOLE)
        super().__exit__(*exc)


def _seed(stage: Stage, count: int) -> int:
    """N bases through their lifecycle in the registry's log, applied by every consumer."""
    batch_id = stage.open_batch()
    stage.stop("registry")
    app = RegistryApplication(env=store_env(Settings.from_dict(stage.service_config()).store, "registry"))
    try:
        written = write_registry_log(app, count * EVENTS_PER_BASE, UUID(batch_id), lifecycle=True)
    finally:
        app.close()
    stage.start("registry")
    # The log's last events are not all published (the registry's own records of
    # evaluation's decisions): wait until evaluation knows every base and the
    # consumers' positions stand still.
    drc = stage.headers("drc")
    wait_until(lambda: requests.get(stage.url("evaluation", "/bases?limit=1"), headers=drc,
                                    timeout=60).json()["total"] >= written,
               timeout=max(600, count / 5), interval=1, message="evaluation to apply every base")
    wait_until(_standing_still(stage), timeout=max(600, count / 5), interval=2,
               message="the consumers to apply every event")
    return written


def _standing_still(stage: Stage):
    last = {}

    def still() -> bool:
        now = stage.consumed("registry", CONSUMERS)
        same = now == last.get("positions")
        last["positions"] = now
        return same

    return still


def _person(stage: Stage) -> ConsoleClient:
    """The DRC's official, made by ``sc users add`` and signed in with a chosen password."""
    made = subprocess.run([sys.executable, "-m", "services.cli", "users", "add", "--username", "drc",
                           "--name", "刘处长", "--organisation", "省发展改革委", "--role", "drc"],
                          cwd=PROJECT_ROOT, env=stage.environment(), capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    client = ConsoleClient(stage.url("console"))
    client.first_sign_in("drc", re.search(r"one-time password: (\S+)", made.stdout).group(1))
    return client


def _raw_page(stage: Stage, http: requests.Session, token: str, page, path: str, args: dict, *extra):
    """The baseline: the page's own reading and template, called in this process."""
    account = SimpleNamespace(name="刘处长", role="drc")
    api = ServiceApi({name: stage.url(name) for name in ("registry", "evaluation", "funding", "notifications")},
                     token, timeout=60, http=http)
    request = SimpleNamespace(environ={VISIT: SimpleNamespace(account=account, api=api)},
                              args=MultiDict(args), path=path)
    result = page(request, *extra)
    return render(result.template, visit=None, path=path, nav=navigation("drc"), csrf_token="", **result.context)


def _times(call, repeat: int) -> dict:
    call()  # warm: connections, template compilation, caches
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {"p50_ms": round(statistics.median(samples), 1),
            "p95_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.95))], 1),
            "requests": repeat}


def measure(stage: Stage, repeat: int) -> dict:
    client = _person(stage)
    token = stage.token("drc", name="刘处长")
    http = requests.Session()
    some = requests.get(stage.url("registry", "/bases?limit=1&offset=7"), headers=stage.headers("drc"),
                        timeout=60).json()["bases"][0]["base_id"]
    today = datetime.now(timezone(timedelta(hours=8))).date().isoformat()  # a day is a Beijing day
    pages = {
        "dashboard": ("/dashboard", {}, dashboard.dashboard, ()),
        "list": ("/bases", {"status": "retained", "sort": "name"}, bases.base_list, ()),
        "detail": (f"/bases/{some}", {}, base_detail.base_detail, (UUID(some),)),
        "timeline as of a day": (f"/bases/{some}", {"as_of": today}, base_detail.base_detail, (UUID(some),)),
    }
    results = {}
    for name, (path, args, page, extra) in pages.items():
        def ours(path=path, args=args):
            answer = client.http.get(stage.url("console", path), params=args, timeout=120)
            assert answer.status_code == 200, answer.text[-500:]

        def raw(path=path, args=args, page=page, extra=extra):
            _raw_page(stage, http, token, page, path, args, *extra)

        results[name] = {"raw": _times(raw, repeat), "ours": _times(ours, repeat)}
    return results


def run(counts: tuple[int, ...], backend: str = "sqlite", repeat: int = 30) -> dict:
    sizes = {}
    for count in counts:
        with ConsoleStage("console", backend) as stage:
            stage.start()
            started = time.perf_counter()
            written = _seed(stage, count)
            seeding = time.perf_counter() - started
            stage.start("console")
            sizes[str(written)] = {"seed_seconds": round(seeding, 1), "pages": measure(stage, repeat)}
    worst = max(page["ours"]["p95_ms"] for size in sizes.values() for page in size["pages"].values())
    return {"sizes": sizes, "target": f"p95 < {TARGET_P95_MS} ms at 1,000 bases",
            "met": all(page["ours"]["p95_ms"] < TARGET_P95_MS
                       for count, size in sizes.items() if int(count) <= 1000
                       for page in size["pages"].values()),
            "worst_p95_ms": worst, "unit": "ms per page, server and client on one host"}
