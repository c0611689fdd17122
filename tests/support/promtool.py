"""promtool (Debian's prometheus package), which checks the metrics, rules and config
of the monitoring; infra/scripts/ensure-tools.sh installs it (make test runs it)."""

import shutil
import subprocess

import pytest


def promtool(*arguments: str, stdin: str | None = None, cwd=None) -> subprocess.CompletedProcess:
    """Runs promtool; a test fails (not skips) without it, naming how to get it: an
    unchecked rule file would pass for a checked one."""
    binary = shutil.which("promtool")
    if binary is None:
        pytest.fail("promtool is missing: infra/scripts/ensure-tools.sh installs it (make test does)")
    return subprocess.run([binary, *arguments], input=stdin, capture_output=True, text=True,
                          timeout=60, cwd=cwd)
