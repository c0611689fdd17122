"""Rebuilding read models from position 0 gives exactly the live ones; the CLI tools
rebuild, compare and verify a running service's log."""

import subprocess
import sys

import requests

from services.backbone.config import PROJECT_ROOT
from services.backbone.store import store_env
from services.registry.application import RegistryApplication
from tests.integration.conftest import open_batch
from tests.integration.test_consumer_guarantees import adjustment, declare, registry_caught_up
from tests.support.platform import wait_until


def busy_registry(platform, evaluation_log):
    platform.start("registry")
    batch_id = open_batch(platform, evaluation_log)
    bases = [declare(platform, batch_id, name=name) for name in ("山西大学", "太原理工大学", "高平市")]
    evaluation_log.emit("BaseAdjusted", adjustment(bases[0]["base_id"], "declared", "certified"))
    last = evaluation_log.emit("BaseAdjusted", adjustment(bases[1]["base_id"], "declared", "not_selected"))
    wait_until(registry_caught_up(platform, last["position"]))
    return bases


def test_a_rebuild_from_position_zero_equals_the_live_read_models(platform, evaluation_log):
    busy_registry(platform, evaluation_log)
    live = platform.app("registry").views.digest()
    fresh = RegistryApplication(env=store_env(platform.config, "registry"))
    fresh.views.rebuild()
    assert fresh.views.digest() == live
    assert [row["status"] for row in fresh.list_bases()] == ["certified", "not_selected", "declared"]
    fresh.close()


def test_the_cli_rebuilds_compares_and_verifies_a_running_service(platform, evaluation_log):
    busy_registry(platform, evaluation_log)
    env = platform.environment()
    rebuild = subprocess.run([sys.executable, "-m", "services.cli", "rebuild", "registry", "--compare"],
                             cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert rebuild.returncode == 0, rebuild.stdout + rebuild.stderr
    assert "identical to the live read models" in rebuild.stdout
    assert "rebuilding registry:" in rebuild.stderr  # progress, for a person

    verify = subprocess.run([sys.executable, "-m", "services.cli", "verify", "registry"],
                            cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "chain intact" in verify.stdout

    over_rpc = requests.get(platform.url("registry", "/ops/verify"), headers=platform.headers("drc")).json()
    assert over_rpc["ok"] is True and over_rpc["checked"] >= 6
