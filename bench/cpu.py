"""``python -m bench.cpu [--rate 50] [--seconds 10]``: CPU milliseconds per command of
each process of the platform (the four services, RabbitMQ, this load generator) under
the latency benchmark's load, read from ``/proc``; and the same for the raw baseline's
processes (its source in the registry's place, its three consumers), in the same run.

End-to-end latency on two shared cores is decided by how much CPU one command costs
all processes together: at 100 commands/s, 10 ms per command is a whole core. This says
which process to look at first; ``python -m bench.paths`` then says what inside it.
"""

import argparse
import json
import time
import uuid

import requests

from .harness import Stage, WebhookReceiver, declaration, wait_until
from .latency import offer
from .processes import cpu_totals, stage_pids


def measure(rate: float, seconds: float, raw: bool = False) -> dict:
    """One platform (or the raw baseline) under ``rate`` commands/s for ``seconds``."""
    with Stage("cpu-raw" if raw else "cpu") as stage:
        receiver = WebhookReceiver()
        try:
            if raw:
                stage.start_raw(webhook=receiver.url())
                headers, batch_id = {"Content-Type": "application/json"}, str(uuid.UUID(int=0))
            else:
                stage.start()
                batch_id = stage.open_batch()
                requests.post(stage.url("notifications", "/subscriptions"), timeout=10,
                              headers=stage.headers("department", name="科技厅", org="科技厅"),
                              json={"label": "CPU", "filter": {"event_types": ["BaseDeclared"]},
                                    "channel": {"kind": "webhook", "url": receiver.url()}},
                              ).raise_for_status()
                headers = stage.headers("drc", name="省发展改革委")  # enters every unit's declaration
            pids = stage_pids(stage)
            count = int(rate * seconds)
            bodies = [declaration(batch_id, n, "C") for n in range(count)]
            encoded = [(b["name"], json.dumps(b, ensure_ascii=False).encode()) for b in bodies]
            before = cpu_totals(pids)
            started = time.perf_counter()
            offer(stage.ports["registry"], headers, encoded, rate)
            wait_until(lambda: all(b["name"] in receiver.arrivals for b in bodies),
                       timeout=300, interval=0.1, message="every webhook")
            time.sleep(1)  # the other consumers finish too
            elapsed = time.perf_counter() - started
            after = cpu_totals(pids)
        finally:
            receiver.close()
    per_command = {name: round((after[name] - before[name]) * 1000 / count, 2) for name in pids}
    return {"commands": count, "rate": rate, "elapsed_s": round(elapsed, 1),
            "cpu_ms_per_command": per_command,
            "total_ms_per_command": round(sum(per_command.values()), 2)}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.cpu")
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args(argv)
    ours, raw = measure(args.rate, args.seconds), measure(args.rate, args.seconds, raw=True)
    print(f"{ours['commands']} commands at {args.rate:g}/s; CPU ms per command, ours and raw:")
    names = sorted(ours["cpu_ms_per_command"], key=lambda name: -ours["cpu_ms_per_command"][name])
    names = [("registry", "source") if name == "registry" else (name, name) for name in names]
    for mine, theirs in names + [("total", "total")]:
        a = ours["total_ms_per_command"] if mine == "total" else ours["cpu_ms_per_command"][mine]
        b = raw["total_ms_per_command"] if mine == "total" else raw["cpu_ms_per_command"].get(theirs)
        ratio = f"{a / b:5.2f}" if b else "    -"
        print(f"  {mine:<15} {a:6.2f}   raw {theirs:<15} {b if b is not None else '-':>6}   ×{ratio}")


if __name__ == "__main__":
    main()
