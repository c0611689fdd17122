"""The reliability suite runs a quick subset in `make test`; `make chaos` sets
SC_CHAOS=full for longer runs with more examples, commands and kills."""

import os

FULL = os.environ.get("SC_CHAOS") == "full"


def scale(quick: int, full: int) -> int:
    return full if FULL else quick
