"""``python -m bench [--quick] [--only NAME,...]``: run the benchmarks, each against its
raw baseline in the same run; write bench/results/<full|quick|--label>.json (latest.json:
the last full or quick run) and the table of docs/benchmarks.md from every saved run.

    full (make bench):   20,000 declarations; 100/s for 20 s; 1,000,000 events; 100,000 bases;
                         capacity 10 s per rate
    --quick:              2,000 declarations; 100/s for  5 s;   100,000 events;  10,000 bases;
                         capacity  5 s per rate
"""

import argparse
import gc
import logging
import sys
import time

from . import console, latency, memory, recompute, report, throughput

SIZES = {
    "full": {"declarations": 20000, "seconds": 20, "events": 1_000_000, "bases": 100_000,
             "capacity_seconds": 10, "console_bases": (1000,)},
    "quick": {"declarations": 2000, "seconds": 5, "events": 100_000, "bases": 10_000,
              "capacity_seconds": 5, "console_bases": (1000,)},
}
NAMES = ("throughput", "latency", "capacity", "recompute", "memory", "console")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="small sizes, for CI-like runs")
    parser.add_argument("--only", default=",".join(NAMES), help="comma-separated benchmarks")
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--repeat", type=int, default=2, help="runs of ours and raw each")
    parser.add_argument("--rate", type=float, default=100.0, help="latency: commands per second")
    parser.add_argument("--label", help="name of this run's results (default: full or quick)")
    parser.add_argument("--console-bases", default="",
                        help="console: comma-separated numbers of bases (default 1000; 100000 seeds for long)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    gc.freeze()  # the load generator and the webhook receiver stall less on full collections
    mode = "quick" if args.quick else "full"
    size = SIZES[mode]
    results = {"mode": mode, "backend": args.backend, "command": " ".join(["python -m bench", *sys.argv[1:]]),
               "machine": report.machine(), "benchmarks": {}}
    runs = {
        "throughput": lambda: throughput.run(size["declarations"], args.backend, args.repeat),
        "latency": lambda: latency.run(args.rate, size["seconds"], args.backend, args.repeat),
        "capacity": lambda: latency.capacity(size["capacity_seconds"], args.backend),
        "recompute": lambda: recompute.run(size["events"], args.backend, args.repeat),
        "memory": lambda: memory.run(size["bases"], args.backend),
        "console": lambda: console.run(_counts(args.console_bases) or size["console_bases"], args.backend),
    }
    for name in args.only.split(","):
        started = time.perf_counter()
        print(f"{name} ({mode}) ...", flush=True)
        results["benchmarks"][name] = runs[name]()
        print(f"  done in {time.perf_counter() - started:.0f} s: {_summary(results['benchmarks'][name])}",
              flush=True)
    path = report.save(results, args.label or mode)
    report.update_table()
    print(f"results in {path}; {report.BENCHMARKS_DOC.relative_to(report.PROJECT_ROOT)} updated")
    return 0


def _counts(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part.strip())


def _summary(result: dict) -> str:
    if "sizes" in result:  # the console's pages
        return (f"worst p95 {result['worst_p95_ms']} ms, target met: {result['met']}")
    if "ratio" in result:
        return (f"ours {result['ours']}, raw {result['baseline']}, ratio {result['ratio']}, "
                f"target met: {result['met']}")
    return ", ".join(f"{name} {s['peak_mb']} MiB" for name, s in result["services"].items())


if __name__ == "__main__":
    sys.exit(main())
