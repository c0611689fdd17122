"""CPU time of the processes a benchmark runs, read from ``/proc``.

Latency on two shared cores is decided by how much CPU one command costs every process
together, and that moves with the host as much as with the code: the raw baseline's
CPU per command went from 6.0 to 10.6 ms within one session here (2026-12-04), on the
same code, while a pure-Python loop's time did not follow it. So each latency round
records its CPU per command, ours and raw's alike: the raw baseline's is the
calibration, measured on the same kind of work in the same minutes.
"""

import os
import subprocess

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process, in seconds."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rabbitmq_pid() -> int | None:
    found = subprocess.run(["pgrep", "-f", "beam.smp"], capture_output=True, text=True).stdout.split()
    return int(found[0]) if found else None


def stage_pids(stage) -> dict[str, int]:
    """The stage's processes by name (a raw one without its ``raw-`` prefix), RabbitMQ's
    and this load generator's."""
    pids = {name.removeprefix("raw-"): process.pid for name, process in stage.processes.items()}
    pids["rabbitmq"] = rabbitmq_pid()
    pids["load generator"] = os.getpid()
    return {name: pid for name, pid in pids.items() if pid}


def cpu_totals(pids: dict[str, int]) -> dict[str, float]:
    """CPU seconds so far of each named process."""
    return {name: cpu_seconds(pid) for name, pid in pids.items()}
