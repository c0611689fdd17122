"""``python -m bench.hops [--rate 30] [--seconds 20] [--stop evaluation,funding]``: where
the slow notifications of the latency benchmark waited.

The latency benchmark says how long a command takes from its HTTP request to its
webhook; this splits each one into its hops, from timestamps the platform records
anyway: the request's planned send time, the BaseDeclared's ``occurred_at`` (the
registry's commit), the delivery's ``created_at`` (notifications' consumer applied it),
its first attempt's ``started_at`` (the sender claimed it) and the webhook's arrival.
It prints the slowest ones, in the order they were sent: a stall shows as a run of
neighbours held up together. ``--stop`` stops services (their queues still fill) once
the batch is open, to see whether they take the cores from the path.
"""

import argparse
import json
import time
from datetime import datetime

import requests

from .harness import declaration, wait_until
from .latency import offer, percentile, platform

HOPS = ("registry commit", "to notifications", "to the sender", "webhook sent")


def _encoded(bodies: list[dict]) -> list[tuple[str, bytes]]:
    return [(b["name"], json.dumps(b, ensure_ascii=False).encode()) for b in bodies]


def _seconds(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def measure(rate: float, seconds: float, stop: tuple[str, ...] = ()) -> list[dict]:
    """Each delivery's hops in seconds, in the order the commands were planned."""
    with platform("sqlite", raw=False) as (stage, receiver, headers, batch_id):
        if stop:
            stage.stop(*stop)
        offer(stage.ports["registry"], headers,
              _encoded([declaration(batch_id, n, "W") for n in range(int(rate))]), rate)
        wall = time.time() - time.perf_counter()  # the receiver's clock to wall time
        planned = offer(stage.ports["registry"], headers,
                        _encoded([declaration(batch_id, n, "H") for n in range(int(rate * seconds))]),
                        rate)
        wait_until(lambda: all(name in receiver.arrivals for name in planned),
                   timeout=120, interval=0.1, message="every webhook")
        ops = stage.headers("ops")
        listed = requests.get(stage.url("notifications", "/deliveries"), headers=ops,
                              params={"limit": 5000}, timeout=60).json()["deliveries"]  # the most a page holds
        rows = []
        for row in listed:
            delivery = requests.get(stage.url("notifications", f"/deliveries/{row['delivery_id']}"),
                                    headers=ops, timeout=10).json()
            name = delivery["event"]["payload"]["name"]
            if name not in planned:
                continue  # the warm-up's
            sent = planned[name] + wall
            moments = (sent, _seconds(delivery["event"]["occurred_at"]), _seconds(delivery["created_at"]),
                       _seconds(delivery["attempts"][0]["started_at"]), receiver.arrivals[name] + wall)
            rows.append({"sent": sent, "total": moments[-1] - sent,
                         **{hop: after - before for hop, before, after in zip(HOPS, moments, moments[1:])}})
    return sorted(rows, key=lambda row: row["sent"])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.hops")
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--stop", default="", help="comma-separated services to stop")
    parser.add_argument("--slow-ms", type=float, default=60.0, help="list the ones slower than this")
    args = parser.parse_args(argv)
    rows = measure(args.rate, args.seconds, tuple(filter(None, args.stop.split(","))))
    totals = [row["total"] * 1000 for row in rows]
    slow = [row for row in rows if row["total"] * 1000 > args.slow_ms]
    print(f"{len(rows)} commands at {args.rate:g}/s: p50 {percentile(totals, 50):.1f}, "
          f"p99 {percentile(totals, 99):.1f} ms; {len(slow)} over {args.slow_ms:g} ms:")
    for hop in HOPS + ("total",):
        spent = [row[hop] * 1000 for row in rows]
        print(f"  {hop:<17} p50 {percentile(spent, 50):6.1f}  p95 {percentile(spent, 95):6.1f}  "
              f"p99 {percentile(spent, 99):6.1f} ms")
    first = rows[0]["sent"] if rows else 0.0
    for row in slow:
        hops = "  ".join(f"{hop} {row[hop] * 1000:6.1f}" for hop in HOPS)
        print(f"  at {row['sent'] - first:6.2f} s  {hops}  total {row['total'] * 1000:6.1f} ms")


if __name__ == "__main__":
    main()
