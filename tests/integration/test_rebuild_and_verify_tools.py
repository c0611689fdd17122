"""Rebuilding read models from position 0 gives exactly the live ones; the CLI tools
rebuild, compare and verify a running service's log."""

import json
import subprocess
import sys

import requests

from services.backbone.config import PROJECT_ROOT
from tests.support.settings import store_env_of
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
    fresh = RegistryApplication(env=store_env_of(platform.config, "registry"))
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
    assert "without --anchors, records removed from the end of the log" in verify.stderr

    over_rpc = requests.get(platform.url("registry", "/ops/verify"), headers=platform.headers("drc")).json()
    assert over_rpc["ok"] is True and over_rpc["checked"] >= 6


def test_verify_with_an_anchors_file_catches_a_log_rewritten_links_and_all(platform, evaluation_log, tmp_path):
    from tests.integration.test_tamper_evidence import SQLiteRows

    busy_registry(platform, evaluation_log)
    anchors, env = tmp_path / "anchors.jsonl", platform.environment()

    def sc_verify(*extra):
        return subprocess.run([sys.executable, "-m", "services.cli", "verify", "registry", *extra],
                              cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)

    first = sc_verify("--anchors", str(anchors))
    assert first.returncode == 0 and "anchored in" in first.stdout, first.stdout + first.stderr
    assert "without --anchors" not in first.stderr
    (recorded,) = [json.loads(line) for line in anchors.read_text().splitlines()]
    second = sc_verify("--anchors", str(anchors))
    assert "1 of 1 anchor(s) matched" in second.stdout and len(anchors.read_text().splitlines()) == 1

    rows = SQLiteRows(platform.config)
    rows.edit(2)
    rows.rechain()
    assert sc_verify().returncode == 0  # the chain alone cannot tell
    caught = sc_verify("--anchors", str(anchors))
    assert caught.returncode == 1
    assert f"BROKEN at position {recorded['position']}" in caught.stdout
    assert len(anchors.read_text().splitlines()) == 1  # a broken log is not anchored

    anchor = f"{recorded['position']}:{recorded['hash']}"
    over_http = requests.get(platform.url("registry", "/ops/verify"), params={"anchor": anchor},
                             headers=platform.headers("ops")).json()
    assert (over_http["ok"], over_http["first_broken_position"]) == (False, recorded["position"])
    bad = requests.get(platform.url("registry", "/ops/verify"), params={"anchor": "2:not-a-hash"},
                       headers=platform.headers("ops"))
    assert bad.status_code == 400 and "hash" in json.dumps(bad.json()["error"]["fields"])


def test_the_cli_names_an_edited_snapshot_and_says_the_log_is_intact(tmp_path):
    from bench.snapshots import envelope_with_history
    from services.funding.application import FundingApplication
    from tests.integration.test_tamper_evidence import SnapshotRows, plaintext
    from tests.support.platform import Platform, make_config

    config = plaintext(make_config(amqp_uri="amqp://unused/", tmp_path=tmp_path))
    app = FundingApplication(env=store_env_of(config, "funding"))
    envelope_id = envelope_with_history(app, 60)  # one snapshot, at version 50
    rows = SnapshotRows(app, config)
    app.close()
    env = Platform(config, None).environment()

    def sc_verify():
        return subprocess.run([sys.executable, "-m", "services.cli", "verify", "funding"],
                              cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)

    honest = sc_verify()
    assert honest.returncode == 0, honest.stdout + honest.stderr
    assert "chain intact" in honest.stdout and "1 snapshot(s) match their events" in honest.stdout
    assert rows.edit(50, "40000.00", "9.00") == 1  # 40 allocations of 1000.00 by then
    caught = sc_verify()
    assert caught.returncode == 1
    assert f"SNAPSHOT of {envelope_id} at version 50" in caught.stdout
    assert "edited" in caught.stdout and "the log itself is intact" in caught.stdout
    assert "BROKEN at position" not in caught.stdout
