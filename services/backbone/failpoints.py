"""Named points where a test may make the process fail on purpose.

``SC_FAILPOINTS=relay.before_publish=kill`` makes a process SIGKILL itself the first time
it reaches that point: how the reliability tests show that nothing is lost between a
commit and a publication. A test running services in-process arms a point with
``arm(name, action, times)``. Actions: ``kill`` (SIGKILL), ``raise`` (RuntimeError), or
any other word that the code at that point understands (``drop-connection``). Unarmed
(always, outside tests), ``hit`` does nothing and returns None.
"""

import os
import signal
import threading

_lock = threading.Lock()
_armed: dict[str, list] = {}  # name -> [action, remaining times (None: always)]


def _from_environment() -> None:
    for item in filter(None, (part.strip() for part in os.environ.get("SC_FAILPOINTS", "").split(","))):
        name, _, action = item.partition("=")
        _armed.setdefault(name, [action or "kill", None])


_from_environment()


def arm(name: str, action: str, times: int | None = 1) -> None:
    with _lock:
        _armed[name] = [action, times]


def disarm_all() -> None:
    with _lock:
        _armed.clear()


def hit(name: str) -> str | None:
    """Fires the point if armed: kills or raises itself, or returns the action for the
    caller to carry out."""
    with _lock:
        armed = _armed.get(name)
        if armed is None:
            return None
        action, remaining = armed
        if remaining is not None:
            if remaining <= 0:
                return None
            armed[1] = remaining - 1
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if action == "raise":
        raise RuntimeError(f"failpoint {name}")
    return action
