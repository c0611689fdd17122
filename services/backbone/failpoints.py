"""Named points where a test may crash the process on purpose.

``SC_FAILPOINTS=relay.before_publish=kill`` makes the process SIGKILL itself the first
time it reaches that point: how the reliability tests show that nothing is lost between
a commit and a publication. Unset (always, outside tests), ``hit`` does nothing.
"""

import os
import signal
from functools import lru_cache


@lru_cache(maxsize=1)
def _configured() -> dict[str, str]:
    spec = os.environ.get("SC_FAILPOINTS", "")
    points = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _, action = item.partition("=")
        points[name] = action or "kill"
    return points


def hit(name: str) -> None:
    action = _configured().get(name)
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif action == "raise":
        raise RuntimeError(f"failpoint {name}")
