"""Benchmark 3: rebuilding the registry's read models from its log.

Ours: ``app.views.rebuild()`` (forget every view, fold the whole log again). Raw: the
library alone reading and decoding the same log, page by page, as fast as it can
(``recorder.select_notifications`` + ``mapper.to_domain_event``). Both in this process,
on the same store, alternately and in alternating order, each from empty views and with
the cyclic garbage collector paused, so that both run under the same conditions.
"""

import gc
import time
from uuid import uuid4

from services.backbone.eventstore.stores import store_env
from services.backbone.settings import Settings
from services.backbone.eventstore.views import collector_paused
from services.registry.application import RegistryApplication

from .harness import Stage
from .logdata import write_registry_log
from .report import verdict

PAGE = 1000


def raw_read(app) -> int:
    """Reads and decodes every event of the log with the library alone; returns how many.
    With the cyclic garbage collector paused, as a rebuild runs: the same conditions."""
    with collector_paused():
        return _read_all(app)


def _read_all(app) -> int:
    count, after = 0, 0
    while True:
        page = app.recorder.select_notifications(start=after, limit=PAGE, inclusive_of_start=False)
        if not page:
            return count
        for notification in page:
            app.mapper.to_domain_event(notification)
        count += len(page)
        after = page[-1].id


def timed(fn) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def run(events: int, backend: str = "sqlite", repeat: int = 2) -> dict:
    with Stage("recompute", backend) as stage:
        app = RegistryApplication(env=store_env(Settings.from_dict(stage.service_config()).store, "registry"))
        try:
            generated, _ = timed(lambda: write_registry_log(app, events, uuid4()))
            head = app.head()
            rounds = []
            for round_number in range(repeat):
                # Each from empty views (the last rebuild's rows dropped and collected),
                # the order alternating, so neither side runs beside the other's leftovers.
                measured = {}
                for side in (("raw", "ours") if round_number % 2 == 0 else ("ours", "raw")):
                    app.views.forget()
                    gc.collect()
                    measured[side] = timed(lambda: raw_read(app)) if side == "raw" else timed(app.views.rebuild)
                (raw_seconds, count), (ours_seconds, position) = measured["raw"], measured["ours"]
                assert count == head and position == head, (count, position, head)
                rounds.append({"raw_events_per_s": round(head / raw_seconds),
                               "ours_events_per_s": round(head / ours_seconds),
                               "raw_seconds": round(raw_seconds, 2),
                               "ours_seconds": round(ours_seconds, 2)})
        finally:
            app.close()
    best_raw = max(r["raw_events_per_s"] for r in rounds)
    best_ours = max(r["ours_events_per_s"] for r in rounds)
    return {"events": head, "generated_in_s": round(generated, 1), "rounds": rounds,
            **verdict(best_ours, best_raw, 0.7, "events/s")}
