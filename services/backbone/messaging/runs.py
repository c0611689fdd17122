"""A subscription's own ordered queue of deliveries, taken a run at a time.

A run is the messages already waiting when one is taken (up to ``consumer.max_run``)
and those that arrive within the service's ``consumer.linger_seconds`` of it: applied
in one transaction, one commit for all (docs/benchmark-rounds.md, round 11).
"""

import time

from eventlet.queue import Empty, LightQueue

CATCH_UP = object()  # queued at start: pull anything missed while this service was down
STOP = None  # queued at stop: wakes the consumer to find that it is no longer running


def is_marker(item) -> bool:
    return item is STOP or item is CATCH_UP


class RunCollector:
    """Deliveries in queue order, and the two markers, handed out in runs."""

    def __init__(self, max_run: int, linger: float):
        self.pending = LightQueue()
        self.max_run = max_run
        self.linger = linger

    def put(self, item) -> None:
        self.pending.put(item)

    def qsize(self) -> int:
        return self.pending.qsize()

    def take(self) -> list:
        """The next item and the items waiting behind it, up to ``max_run``, and those
        that arrive within the linger; a marker (stop, catch up) ends the list."""
        items = [self.pending.get()]
        if is_marker(items[0]):
            return items
        until = time.monotonic() + self.linger
        while len(items) < self.max_run:
            if self.pending.qsize():
                items.append(self.pending.get_nowait())
            else:
                left = until - time.monotonic()
                if left <= 0:
                    break
                try:
                    items.append(self.pending.get(timeout=left))
                except Empty:
                    break
            if is_marker(items[-1]):
                break
        return items
