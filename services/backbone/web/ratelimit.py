"""A per-caller limit on the platform's one unauthenticated write (an objection to a
public notice): so many in a sliding window per client address, in this instance.

Per instance on purpose: it bounds what one address can make one instance write, which is
what protects the log; several instances behind a balancer each allow their share, and
the edge proxy (infra/) is where a platform-wide limit belongs.
"""

import threading
import time
from collections import deque

from nameko.extensions import DependencyProvider

from services.backbone.kernel.errors import TooManyRequests


class SlidingWindowLimit:
    """At most ``allowed`` calls per ``window_seconds`` for each key."""

    def __init__(self, allowed: int, window_seconds: float, clock=time.monotonic,
                 max_keys: int = 100_000):
        self.allowed, self.window, self.clock = allowed, window_seconds, clock
        self.max_keys = max_keys
        self._calls: dict[str, deque] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Forgets every caller (tests start from a clean window)."""
        with self._lock:
            self._calls.clear()

    def check(self, key: str) -> None:
        """Counts a call of ``key``, or refuses it (429) when its window is full."""
        now = self.clock()
        with self._lock:
            calls = self._calls.setdefault(key, deque())
            while calls and calls[0] <= now - self.window:
                calls.popleft()
            if len(calls) >= self.allowed:
                retry = int(calls[0] + self.window - now) + 1
                error = TooManyRequests(f"At most {self.allowed} objections per address in "
                                        f"{int(self.window // 60)} minutes; try again later.")
                error.retry_after = retry
                raise error
            calls.append(now)
            if len(self._calls) > self.max_keys:  # forget idle addresses, bounded memory
                for idle in [k for k, c in self._calls.items() if not c or c[-1] <= now - self.window]:
                    del self._calls[idle]


class InstanceLimit(DependencyProvider):
    """A ``SlidingWindowLimit`` of one service instance (its container), so that two
    instances in one process, as in the tests, do not count each other's callers."""

    def __init__(self, allowed: int, window_seconds: float):
        self.allowed, self.window_seconds = allowed, window_seconds

    def setup(self):
        self.limit = SlidingWindowLimit(self.allowed, self.window_seconds)

    def get_dependency(self, worker_ctx):
        return self.limit
