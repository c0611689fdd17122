"""Named points where a test may make the process fail on purpose.

``SC_FAILPOINTS=relay.before_publish=kill`` makes a process SIGKILL itself the first time
it reaches that point: how the reliability tests show that nothing is lost between a
commit and a publication. ``consumer.after_commit=kill@3`` waits for the third time
(a test picks the moment at random). A test running services in-process arms a point
with ``arm(name, action, times)`` and asks ``fired(name)`` whether it was reached.
Actions: ``kill`` (SIGKILL), ``raise`` (RuntimeError), or any other word that the code
at that point understands (``drop-connection``). A point that fires says so on stderr
first (``failpoint NAME: ACTION``), so a test can tell from a killed process's log where
it died. Unarmed (always, outside tests), ``hit`` does nothing and returns None.

The points: ``store.before_commit`` (events and chain written, not committed),
``relay.before_publish`` / ``relay.after_publish`` (a page committed / published, its
position not recorded), ``consumer.after_commit`` (an upstream event's effects and
tracking committed, the message not acked), ``http.after_commit`` (a mutating request
handled, its answer not sent), ``notifications.before_send`` / ``notifications.after_send``,
``notifications.before_backfill_commit`` (a backfill step's deliveries and positions
collected, not committed).
"""

import os
import signal
import sys
import threading

_lock = threading.Lock()
_armed: dict[str, list] = {}  # name -> [action, remaining times (None: always), hits to let pass]
_fired: dict[str, int] = {}


def _from_environment() -> None:
    for item in filter(None, (part.strip() for part in os.environ.get("SC_FAILPOINTS", "").split(","))):
        name, _, action = item.partition("=")
        action, _, nth = action.partition("@")
        skip = max(0, int(nth) - 1) if nth else 0
        _armed.setdefault(name, [action or "kill", 1 if nth else None, skip])


_from_environment()


def arm(name: str, action: str, times: int | None = 1, after: int = 0) -> None:
    """Fires ``times`` times (None: every time) once ``after`` hits have passed."""
    with _lock:
        _armed[name] = [action, times, after]
        _fired.pop(name, None)


def disarm_all() -> None:
    with _lock:
        _armed.clear()
        _fired.clear()


def fired(name: str) -> int:
    """How many times the point fired since it was armed."""
    return _fired.get(name, 0)


def hit(name: str) -> str | None:
    """Fires the point if armed: kills or raises itself, or returns the action for the
    caller to carry out."""
    with _lock:
        armed = _armed.get(name)
        if armed is None:
            return None
        action, remaining, skip = armed
        if skip > 0:
            armed[2] = skip - 1
            return None
        if remaining is not None:
            if remaining <= 0:
                return None
            armed[1] = remaining - 1
        _fired[name] = _fired.get(name, 0) + 1
    sys.stderr.write(f"failpoint {name}: {action}\n")
    sys.stderr.flush()
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if action == "raise":
        raise RuntimeError(f"failpoint {name}")
    return action
