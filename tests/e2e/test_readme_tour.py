"""The README's five-minute tour, as a person pastes it: its shell blocks run one after
the other in one bash, against the four services started for this test (own vhost,
stores, keys and ports: the tour's ports are the only thing changed). A tour that no
longer works fails here, naming the block that stopped."""

import re
import subprocess
import time

import pytest

from services.backbone.config import PROJECT_ROOT

pytestmark = pytest.mark.timeout(120)

README = PROJECT_ROOT / "README.md"
TOUR_HEADING = "## A five-minute tour"
TIME_LIMIT = 30  # seconds for the whole tour, as the README promises a quick one
DEFAULT_PORTS = {"registry": 8101, "evaluation": 8102, "funding": 8103, "notifications": 8104}


def tour_blocks(text: str) -> list[str]:
    """The fenced ``sh`` blocks between the tour's heading and the next heading."""
    _, found, rest = text.partition(TOUR_HEADING + "\n")
    assert found, f"README.md has no {TOUR_HEADING!r} section"
    section = re.split(r"^## ", rest, maxsplit=1, flags=re.MULTILINE)[0]
    return re.findall(r"^```sh\n(.*?)^```$", section, flags=re.MULTILINE | re.DOTALL)


def on_ports(block: str, ports: dict[str, int]) -> str:
    for service, default in DEFAULT_PORTS.items():
        block = block.replace(f"127.0.0.1:{default}", f"127.0.0.1:{ports[service]}")
    return block


def script(blocks: list[str]) -> str:
    """One bash script: stop at the first failing command, and say after each block
    that it succeeded, so that a failure names its block."""
    steps = [f"{block}\necho '::tour block {number} ok'" for number, block in enumerate(blocks, 1)]
    return "set -euo pipefail\n" + "\n".join(steps) + "\n"


@pytest.fixture
def tour(platform):
    """Runs the tour against freshly started services; its output and time."""
    platform.start(*DEFAULT_PORTS)
    blocks = tour_blocks(README.read_text(encoding="utf-8"))
    text = script([on_ports(b, {s: platform.port(s) for s in DEFAULT_PORTS}) for b in blocks])
    started = time.monotonic()
    process = subprocess.Popen(["bash", "-c", text], cwd=PROJECT_ROOT, env=platform.environment(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stdout, stderr = process.communicate(timeout=90)
    return {"blocks": blocks, "exit": process.returncode, "stdout": stdout, "stderr": stderr,
            "elapsed": time.monotonic() - started}


def test_the_tour_runs_as_pasted_within_half_a_minute_and_ends_in_the_inbox(tour):
    assert len(tour["blocks"]) >= 5, "the tour: tokens, declaring, scoring, plans, money, inbox"
    done = re.findall(r"^::tour block (\d+) ok$", tour["stdout"], flags=re.MULTILINE)
    assert (tour["exit"], len(done)) == (0, len(tour["blocks"])), (
        f"block {len(done) + 1} failed:\n{tour['stdout'][-3000:]}\n{tour['stderr'][-3000:]}")
    assert tour["elapsed"] < TIME_LIMIT, f"the tour took {tour['elapsed']:.1f} s"
    assert "已被认定为省级双创示范基地" in tour["stdout"], tour["stdout"][-3000:]
    # a person pasting it sees the answers, not a library's deprecation notices
    assert "Warning" not in tour["stderr"], tour["stderr"][-3000:]
