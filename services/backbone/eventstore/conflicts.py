"""Optimistic concurrency: a command that lost to a concurrent writer is run again."""

import random
import time
from functools import wraps
from typing import Callable

from eventsourcing.persistence import IntegrityError

from services.backbone.kernel.errors import ConcurrentChange

CONFLICT_RETRIES = 5


def retry_on_conflict(command: Callable) -> Callable:
    """Re-runs a load-change-save command when a concurrent writer got there first;
    after ``conflict_attempts`` losses, ``ConcurrentChange`` (409 with Retry-After). A
    random pause of up to ``conflict_backoff_seconds`` spreads contending writers out."""

    @wraps(command)
    def run(self, *args, **kwargs):
        attempts = getattr(self, "conflict_attempts", CONFLICT_RETRIES)
        backoff = getattr(self, "conflict_backoff_seconds", 0.0)
        for attempt in range(1, attempts + 1):
            try:
                return command(self, *args, **kwargs)
            except IntegrityError:
                if attempt == attempts:
                    raise ConcurrentChange("The record changed concurrently each time this was tried; "
                                           "nothing was written. Send the same request again.") from None
                if backoff:
                    time.sleep(random.uniform(0, backoff * attempt))
        raise AssertionError("unreachable")

    return run
