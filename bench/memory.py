"""Benchmark 4: the memory of each service process with N bases in its store.

The registry's log is written directly (N BaseDeclared, test data) while the registry is
stopped; once it starts, its relay publishes them all and evaluation, funding and
notifications apply every one, through the real path, into their own stores. Peak
resident memory (VmHWM) is read twice per process: after that ingestion, and after a
restart of all four on the full stores (each folds its read models from its whole log
on start-up) followed by a few queries.
"""

import time
from uuid import UUID

import requests

from services.backbone.eventstore.stores import store_env
from services.backbone.settings import Settings
from services.registry.application import RegistryApplication

from .baseline import CONSUMERS
from .harness import SERVICES, Stage, peak_rss_mb, wait_until
from .logdata import write_registry_log


def _ingest(stage: Stage, bases: int) -> float:
    """Writes the registry's log and waits until every consumer has applied it."""
    batch_id = stage.open_batch()
    stage.stop("registry")
    app = RegistryApplication(env=store_env(Settings.from_dict(stage.service_config()).store, "registry"))
    try:
        write_registry_log(app, bases, UUID(batch_id), lifecycle=False)
        head = app.head()
    finally:
        app.close()
    started = time.perf_counter()
    stage.start("registry")
    wait_until(lambda: min(stage.consumed("registry", CONSUMERS).values()) >= head,
               timeout=max(600, bases / 20), interval=2, message="the consumers to apply every base")
    return time.perf_counter() - started


def _queries(stage: Stage) -> None:
    """What an official's morning looks like: lists, one base, each service's status."""
    drc = stage.headers("drc", name="省发展改革委")
    some_base = requests.get(stage.url("registry", "/bases?status=declared&county=小店区"),
                             headers=drc, timeout=120).json()["bases"][0]["base_id"]
    for name, path in (("registry", f"/bases/{some_base}"), ("registry", "/bases?status=certified"),
                       ("evaluation", f"/bases/{some_base}"), ("funding", f"/bases/{some_base}/funding"),
                       ("notifications", "/subscriptions")):
        requests.get(stage.url(name, path), headers=drc, timeout=120).raise_for_status()
    for name in SERVICES:
        stage.ops_status(name)


def run(bases: int, backend: str = "sqlite") -> dict:
    with Stage("memory", backend) as stage:
        stage.start()
        ingest_seconds = _ingest(stage, bases)
        after_ingest = {name: peak_rss_mb(stage.pid(name)) for name in SERVICES}
        stage.stop()
        started = time.perf_counter()
        stage.start()
        start_seconds = time.perf_counter() - started
        _queries(stage)
        after_restart = {name: peak_rss_mb(stage.pid(name)) for name in SERVICES}
    services = {name: {"ingest": after_ingest[name], "restart_and_queries": after_restart[name],
                       "peak_mb": max(after_ingest[name]["peak_mb"], after_restart[name]["peak_mb"])}
                for name in SERVICES}
    return {
        "bases": bases,
        "ingest_seconds": round(ingest_seconds, 1),
        "ingest_events_per_s": round(bases / ingest_seconds),
        "restart_seconds": round(start_seconds, 1),
        "services": services,
        "unit": "MiB (peak resident set, VmHWM)",
    }
