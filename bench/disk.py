"""Stalls of the disk under a benchmark's stores, measured beside its latencies.

Every command commits to SQLite (an fsync) and to RabbitMQ's quorum queues (another),
so one command waits for the disk several times on its way to the webhook. The virtual
disks of our CI machines sometimes stop completing writes altogether for a tenth of a
second or more, with requests waiting (seen here on 2026-12-02: 100 to 300 ms, every
second or two, at about 3,000 writes/s, for the raw baseline as much as for ours). A
command in flight then waits the whole stall, whatever the software does; a p99 over
such a disk says as much about the disk as about us. ``DiskWatch`` samples
``/proc/diskstats`` for the device holding a directory and reports those stalls, so
that a latency figure comes with the floor the disk set for it.
"""

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SAMPLE_SECONDS = 0.01
STALL_MS = 50.0  # shorter pauses are ordinary queueing at a few thousand writes/s


@dataclass(frozen=True)
class Sample:
    """One reading of a device: when, requests completed (reads, writes, flushes), and
    requests in flight."""

    at: float
    completed: int
    in_flight: int


def stalls(samples: list[Sample], min_ms: float = STALL_MS) -> list[float]:
    """The stalls in ``samples``, in milliseconds: each stretch of time in which requests
    were waiting at the device and none completed, as long as ``min_ms`` or longer. A
    stretch runs from the last reading that saw a completion to the first that saw the
    next one."""
    found, since = [], None
    for before, after in zip(samples, samples[1:]):
        if after.completed == before.completed and (before.in_flight or after.in_flight):
            if since is None:
                since = before.at
        elif since is not None:
            if after.completed != before.completed:
                held = (after.at - since) * 1000
                if held >= min_ms:
                    found.append(held)
            since = None
    if since is not None and (held := (samples[-1].at - since) * 1000) >= min_ms:
        found.append(held)
    return found


def summary(samples: list[Sample], min_ms: float = STALL_MS) -> dict:
    """What a benchmark's result records: the stalls' count, longest and total."""
    held = stalls(samples, min_ms)
    seconds = samples[-1].at - samples[0].at if len(samples) > 1 else 0.0
    return {"disk_stalls": len(held), "disk_stall_longest_ms": round(max(held, default=0.0), 1),
            "disk_stalled_ms": round(sum(held), 1), "disk_watched_s": round(seconds, 1)}


def device_of(path: Path) -> tuple[int, int]:
    """The (major, minor) numbers of the block device holding ``path``."""
    number = os.stat(path).st_dev
    return os.major(number), os.minor(number)


def read(device: tuple[int, int]) -> Sample | None:
    """The device's counters now, or None if ``/proc/diskstats`` does not list it (an
    overlay or tmpfs: nothing to watch). Its fields after the name: reads completed
    first, writes completed fifth, in flight ninth, flushes completed sixteenth (kernels
    since 5.5)."""
    with open("/proc/diskstats") as stats:
        for line in stats:
            fields = line.split()
            if (int(fields[0]), int(fields[1])) == device:
                flushes = int(fields[18]) if len(fields) > 18 else 0
                return Sample(time.perf_counter(), int(fields[3]) + int(fields[7]) + flushes,
                              int(fields[11]))
    return None


class DiskWatch:
    """Samples the device of ``directory`` in a thread while it is active::

        with DiskWatch(stage.workdir) as disk:
            ...
        result.update(disk.summary())
    """

    def __init__(self, directory: Path, interval: float = SAMPLE_SECONDS):
        self.device = device_of(directory)
        self.interval = interval
        self.samples: list[Sample] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="disk-watch", daemon=True)

    def __enter__(self) -> "DiskWatch":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            sample = read(self.device)
            if sample is None:
                return
            self.samples.append(sample)
            self._stop.wait(self.interval)

    def summary(self) -> dict:
        if len(self.samples) < 2:
            return {"disk_stalls": None, "disk_watched_s": 0.0}  # not a block device here
        return summary(self.samples)
