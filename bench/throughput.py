"""Benchmark 1: declarations through the whole platform, until every consumer has them.

Ours: N ``POST /bases`` to the registry over HTTP (keep-alive connections, a fixed
number in flight), each a real command (token, schema, rules, one commit with the hash
chain); the relay publishes every BaseDeclared (persistent, confirmed); evaluation,
funding and notifications each apply it (validation, gap check, reaction, events and
tracking record in one commit, then the ack). The clock stops when the three have all
applied the registry's last position (their ``/ops/status``).

Raw: the same N HTTP requests to the baseline source (append to an eventsourcing store,
publish persistent with a confirm), three baseline consumers (append with tracking,
ack); the clock stops when the three have all recorded the last position.
"""

import json
import threading
import time

from .baseline import CONSUMERS
from .harness import Client, Stage, declaration, wait_until
from .report import verdict

CONCURRENCY = 8


def send_all(port: int, path: str, bodies: list[bytes], headers: dict,
             concurrency: int = CONCURRENCY) -> None:
    """POSTs every body, ``concurrency`` at a time; fails unless every answer is 201."""
    failures = []

    def worker(share: list[bytes]) -> None:
        client = Client(port, headers)
        try:
            for body in share:
                status = client.post(path, body)
                if status != 201:
                    failures.append(status)
        finally:
            client.close()

    threads = [threading.Thread(target=worker, args=(bodies[i::concurrency],))
               for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(f"{len(failures)} commands failed, e.g. HTTP {failures[0]}")


def _bodies(batch_id: str, n: int, run: str) -> list[bytes]:
    return [json.dumps(declaration(batch_id, i, run), ensure_ascii=False).encode() for i in range(n)]


def _result(n: int, started: float, sent: float, done: float) -> dict:
    return {"events": n, "seconds": round(done - started, 2),
            "events_per_s": round(n / (done - started)),
            "commands_per_s": round(n / (sent - started)),
            "drain_after_commands_s": round(done - sent, 2)}


def ours(n: int, backend: str) -> dict:
    with Stage("throughput", backend) as stage:
        stage.start()
        batch_id = stage.open_batch()
        bodies = _bodies(batch_id, n, "T")
        headers = stage.headers("drc", name="省发展改革委")  # enters every unit's declaration
        started = time.perf_counter()
        send_all(stage.ports["registry"], "/bases", bodies, headers)
        sent = time.perf_counter()
        head = stage.ops_status("registry")["head"]
        wait_until(lambda: min(stage.consumed("registry", CONSUMERS).values()) >= head,
                   timeout=max(300, n / 10), interval=0.2, message="the consumers to catch up")
        return _result(n, started, sent, time.perf_counter())


def raw(n: int, backend: str) -> dict:
    with Stage("throughput-raw", backend) as stage:
        stage.start_raw()
        bodies = _bodies("00000000-0000-0000-0000-000000000000", n, "R")
        started = time.perf_counter()
        send_all(stage.ports["registry"], "/bases", bodies, {"Content-Type": "application/json"})
        sent = time.perf_counter()
        wait_until(lambda: min(stage.raw_consumed().values()) >= n, timeout=max(300, n / 10),
                   interval=0.2, message="the raw consumers to catch up")
        return _result(n, started, sent, time.perf_counter())


def run(n: int, backend: str = "sqlite", repeat: int = 2) -> dict:
    """Raw and ours alternately, ``repeat`` times each; the best of each is reported."""
    rounds = []
    for _ in range(repeat):
        rounds.append({"raw": raw(n, backend), "ours": ours(n, backend)})
    best_raw = max(r["raw"]["events_per_s"] for r in rounds)
    best_ours = max(r["ours"]["events_per_s"] for r in rounds)
    return {"events": n, "via": f"HTTP POST /bases, {CONCURRENCY} keep-alive connections",
            "rounds": rounds, **verdict(best_ours, best_raw, 0.5, "events/s")}
