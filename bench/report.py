"""Results: the machine they were measured on, the JSON files, the table in
docs/benchmarks.md (kept out of the README, which says how to start, not what was measured)."""

import json
import os
import platform
import sqlite3
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import requests

from services.backbone.config import PROJECT_ROOT, load_config

from .latency import CAPACITY_RATES

RESULTS = PROJECT_ROOT / "bench" / "results"
BENCHMARKS_DOC = PROJECT_ROOT / "docs" / "benchmarks.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def machine() -> dict:
    """What the numbers depend on, including how busy the machine already was."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    management = load_config("local", environ={"SC_AUTH__SECRET": "bench"})["broker"]["management_url"]
    try:
        rabbitmq = requests.get(f"{management}/api/overview", timeout=5).json()["rabbitmq_version"]
    except (requests.RequestException, KeyError, ValueError):
        rabbitmq = "unknown"
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT,
                            capture_output=True, text=True).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(memory_kb / 1024 / 1024, 1),
            "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
            "rabbitmq": rabbitmq, "commit": commit, "load_average_at_start": os.getloadavg()[0]}


def verdict(ours: float, baseline: float, minimum_ratio: float, unit: str) -> dict:
    """Ours against the raw baseline, and whether ours reaches the target ratio."""
    return {"ours": ours, "baseline": baseline, "ratio": round(ours / baseline, 2), "unit": unit,
            "target": f">= {minimum_ratio} x raw", "met": ours >= minimum_ratio * baseline}


def save(results: dict, name: str) -> Path:
    """Writes ``<name>.json``; a full or quick run is also ``latest.json``."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    results["finished_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    results["machine"]["load_average_at_end"] = os.getloadavg()[0]
    text = json.dumps(results, ensure_ascii=False, indent=2) + "\n"
    path = RESULTS / f"{name}.json"
    path.write_text(text, encoding="utf-8")
    if name in ("full", "quick"):
        path = RESULTS / "latest.json"
        path.write_text(text, encoding="utf-8")
    return path


def _capacity(rate: int, top_of_ladder: bool) -> str:
    """A capacity figure: "≥" when the top of the ladder passed, "<" its first rate when
    that missed (0 would read as "nothing gets through")."""
    if rate == 0:
        return f"< {CAPACITY_RATES[0]} commands/s"
    return f"{'≥ ' if top_of_ladder else ''}{rate} commands/s"


def _missed(found: dict) -> str:
    """The disk stalls of the trials at the rate that ended the ladder, if any: a rate
    missed because the disk stopped says nothing about the CPU it would take."""
    if found.get("top_of_ladder") or not found.get("trials"):
        return ""
    last = found["trials"][-1]["rate"]
    stalls = [t.get("disk_stalls") or 0 for t in found["trials"] if t["rate"] == last]
    return f" (missed at {last}/s with {' and '.join(map(str, stalls))} disk stalls)" if any(stalls) else ""


def _stalls(run: dict) -> str:
    """A run's disk stalls (``bench.disk``): the floor the disk set for its p99."""
    return f"{run['disk_stalls']}, {run['disk_stall_longest_ms']:g} ms"


def _round_figures(rounds: list[dict], side: str) -> str:
    """Each latency round of one side as "p99 ms / CPU ms per command": the table's
    latency row is the best round, this shows the spread, and whether a slow round cost
    more CPU (``bench.processes``)."""
    return "; ".join(f"{one[side]['p99_ms']:g} / {one[side]['cpu_ms_per_command']:g}" for one in rounds)


def _yes(met: bool) -> str:
    return "yes" if met else "**no**"


def _rows(results: dict, mode: str) -> list[str]:
    rows, b = [], results["benchmarks"]
    if "throughput" in b:
        t = b["throughput"]
        rows.append(f"| throughput, {t['events']:,} declarations | {mode} | {t['ours']} events/s "
                    f"| {t['baseline']} events/s | {t['ratio']} | ≥ 0.5 | {_yes(t['met'])} |")
    if "latency" in b:
        lat = b["latency"]
        o, r = lat["ours"], lat["baseline"]
        rows.append(f"| latency p50 / p95 / p99, {o['rate']:g}/s × {o['requests'] / o['rate']:g} s | {mode} "
                    f"| {o['p50_ms']} / {o['p95_ms']} / {o['p99_ms']} ms | {r['p50_ms']} / {r['p95_ms']} / "
                    f"{r['p99_ms']} ms | {lat['ratio']} (p99) | p99 < 100 ms | {_yes(lat['met'])} |")
        if o.get("disk_stalls") is not None and r.get("disk_stalls") is not None:
            rows.append(f"| disk stalls ≥ 50 ms in those runs: count, longest | {mode} "
                        f"| {_stalls(o)} | {_stalls(r)} | | | |")
        rounds = lat.get("rounds", [])
        if rounds and all("cpu_ms_per_command" in run for one in rounds for run in one.values()):
            rows.append(f"| every latency round: p99 ms / CPU ms per command, all processes | {mode} "
                        f"| {_round_figures(rounds, 'ours')} | {_round_figures(rounds, 'raw')} | | | |")
    if "capacity" in b:
        c = b["capacity"]
        ours, raw = (_capacity(c[name], c["trials"][name].get("top_of_ladder")) + _missed(c["trials"][name])
                     for name in ("ours", "baseline"))
        rows.append(f"| highest load with p99 < 100 ms (of {c.get('rates', '10–200/s')}) | {mode} | {ours} "
                    f"| {raw} | {c['ratio']} | 100/s | {_yes(c['met'])} |")
    if "recompute" in b:
        c = b["recompute"]
        rows.append(f"| recomputation, {c['events']:,} events | {mode} | {c['ours']:,} events/s "
                    f"| {c['baseline']:,} events/s | {c['ratio']} | ≥ 0.7 | {_yes(c['met'])} |")
    if "console" in b:
        rows += _console_rows(b["console"], mode)
    return rows


def _console_rows(c: dict, mode: str) -> list[str]:
    """A row per page and size: the console's p50 / p95 beside the raw render's."""
    rows = []
    for count, size in c["sizes"].items():
        for page, t in size["pages"].items():
            o, r = t["ours"], t["raw"]
            met = o["p95_ms"] < 200 if int(count) <= 1000 else ""
            rows.append(f"| console {page}, {int(count):,} bases: p50 / p95 | {mode} | {o['p50_ms']} / "
                        f"{o['p95_ms']} ms | {r['p50_ms']} / {r['p95_ms']} ms | "
                        f"{round(o['p95_ms'] / r['p95_ms'], 2) if r['p95_ms'] else ''} (p95) | p95 < 200 ms "
                        f"| {_yes(met) if met != '' else ''} |")
    return rows


def _memory_rows(results: dict, mode: str) -> list[str]:
    m = results["benchmarks"].get("memory")
    if not m:
        return []
    return [f"| {name} | {mode}, {m['bases']:,} bases | {s['ingest']['peak_mb']} | "
            f"{s['restart_and_queries']['peak_mb']} |" for name, s in m["services"].items()]


def _cpus(by_mode: dict[str, dict]) -> str:
    """The processor, or each mode's when the saved runs were measured on different
    machines: figures from two kinds of host side by side must say so."""
    cpus = {mode: r["machine"]["cpu"] for mode, r in by_mode.items()}
    if len(set(cpus.values())) == 1:
        return next(iter(cpus.values()))
    return " / ".join(f"{cpu} ({mode})" for mode, cpu in cpus.items())


def render(by_mode: dict[str, dict]) -> str:
    """The table of docs/benchmarks.md, from the results of each mode run."""
    any_results = next(iter(by_mode.values()))
    m = any_results["machine"]
    lines = [
        START,
        "Measured by `make bench` (full) and `make bench BENCH_ARGS=--quick` ("
        + "; ".join(f"{mode}: `{r['command']}`, {r.get('finished_at', '')[:10]}"
                    for mode, r in by_mode.items())
        + "). Every figure is the better of two runs, ours and the raw baseline measured "
        "alternately in the same run (every run is in `bench/results/*.json`).",
        "",
        f"Machine: {_cpus(by_mode)}, {m['cores']} cores, {m['memory_gb']} GB; Python {m['python']}, "
        f"SQLite {m['sqlite']} (the stores), RabbitMQ {m['rabbitmq']}; shared with other "
        "developers' test runs (load average "
        + ", ".join(f"{mode} {r['machine']['load_average_at_start']:.1f}→"
                    f"{r['machine'].get('load_average_at_end', 0):.1f}" for mode, r in by_mode.items())
        + "), so expect ±20 %.",
        "",
        "| benchmark | mode | ours | raw baseline | ours / raw | target | met |",
        "|---|---|---|---|---|---|---|",
    ]
    for mode, results in by_mode.items():
        lines += _rows(results, mode)
    memory = [row for mode, results in by_mode.items() for row in _memory_rows(results, mode)]
    if memory:
        lines += ["", "Peak resident memory (MiB) of each service process:", "",
                  "| service | mode | after ingesting every base | after a restart and a few queries |",
                  "|---|---|---|---|", *memory]
    lines.append(END)
    return "\n".join(lines)


def update_table(document: Path = BENCHMARKS_DOC) -> None:
    """Rewrites the table between the markers of ``document`` from every saved run
    (full, quick, then any labelled run, such as latency at another rate)."""
    files = sorted((p for p in RESULTS.glob("*.json") if p.stem != "latest"),
                   key=lambda p: ({"full": 0, "quick": 1}.get(p.stem, 2), p.stem))
    by_mode = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in files}
    if by_mode:
        fill(document, render(by_mode))


def fill(document: Path, table: str) -> None:
    """Puts ``table`` (markers included) in place of the one between the markers."""
    text = document.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise SystemExit(f"{document} has no {START} ... {END} section to fill")
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    document.write_text(head + table + tail, encoding="utf-8")
