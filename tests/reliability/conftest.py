"""The reliability suite runs a quick subset in `make test`; `make chaos` sets
SC_CHAOS=full for longer runs with more examples, commands and kills.

A test that takes the ``figures`` fixture reports what it measured (commands sent,
acknowledged, effects, duplicates, lost...): printed when it ends, pass or fail, and
repeated in the terminal summary, which ``make test`` shows although it captures the
output of passing tests."""

import os

import pytest

from services.backbone.runner import SERVICE_CLASSES
from tests.support.broker import UpstreamLog
from tests.support.endpoint_examples import EXAMPLES
from tests.support.figures import Figures

FULL = os.environ.get("SC_CHAOS") == "full"
FULL_TIMEOUT = 1800  # seconds per test under SC_CHAOS=full (the quick run keeps pyproject's 120)


def scale(quick: int, full: int) -> int:
    return full if FULL else quick


def pytest_collection_modifyitems(items):
    """The full runs are ten times longer (the kill test alone kills and restarts
    sixteen times on each backend): under SC_CHAOS=full each reliability test may take
    up to FULL_TIMEOUT, however it is started (make chaos, or pytest by hand)."""
    if FULL:
        for item in items:
            if "tests/reliability/" in item.nodeid and item.get_closest_marker("timeout") is None:
                item.add_marker(pytest.mark.timeout(FULL_TIMEOUT))


@pytest.fixture(params=sorted(SERVICE_CLASSES))
def service_with_resources(request, platform):
    """A service running alone, its upstream services played by UpstreamLogs, with the
    resources its endpoints act on created first: (service, examples, ids)."""
    service = request.param
    platform.start(service)
    upstreams = {}

    def upstream(source):
        return upstreams.setdefault(source, UpstreamLog(platform.config, source))

    examples, ids = EXAMPLES[service](platform, upstream)
    yield service, examples, ids
    for log in upstreams.values():
        log.close()


@pytest.fixture
def figures(request):
    figures = Figures()
    request.node.user_properties.append(("figures", figures))
    try:
        yield figures
    finally:
        print(f"\nfigures of {request.node.name}:\n{figures}")


def pytest_terminal_summary(terminalreporter):
    reported = [(report.nodeid, report.outcome, value)
                for reports in terminalreporter.stats.values() for report in reports
                if getattr(report, "when", None) == "call"
                for name, value in getattr(report, "user_properties", ()) if name == "figures" and value]
    if not reported:
        return
    terminalreporter.write_sep("=", "reliability figures")
    for nodeid, outcome, figures in reported:
        terminalreporter.write_line(f"{nodeid} ({outcome})")
        terminalreporter.write_line(str(figures))
