"""Status as a function of history: every base's status of record as of any moment, and
evaluation's whole-history recomputation under another policy over HTTP."""

import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import requests

from services.backbone.config import PROJECT_ROOT
from tests.integration.conftest import open_batch
from tests.integration.test_consumer_guarantees import adjustment, declare, registry_caught_up
from tests.support.platform import wait_until


def now() -> datetime:
    time.sleep(0.01)  # distinct instants around each step
    return datetime.now(timezone.utc)


def test_statuses_as_of_any_moment(platform, evaluation_log):
    platform.start("registry")
    batch_id = open_batch(platform, evaluation_log)
    before = now()
    base = declare(platform, batch_id)
    declared = now()
    evaluation_log.emit("BaseAdjusted", adjustment(base["base_id"], "declared", "certified"))
    wait_until(registry_caught_up(platform, evaluation_log.position))
    certified = now()
    warned = {**adjustment(base["base_id"], "certified", "warned"), "basis": "evaluation"}
    evaluation_log.emit("BaseAdjusted", warned)
    wait_until(registry_caught_up(platform, evaluation_log.position))

    def status_at(moment):
        response = requests.get(platform.url("registry", "/bases/status"), params={"as_of": moment.isoformat()},
                                headers=platform.headers("department"))
        assert response.status_code == 200, response.text
        return [row["status"] for row in response.json()["bases"]]

    assert status_at(before) == []
    assert status_at(declared) == ["declared"]
    assert status_at(certified) == ["certified"]
    assert status_at(now()) == ["warned"]
    beijing = timezone(timedelta(hours=8))
    today = now().astimezone(beijing).date()
    for day, expected in ((today - timedelta(days=1), []), (today, ["warned"])):  # a day: at its end
        response = requests.get(platform.url("registry", "/bases/status"), params={"as_of": day.isoformat()},
                                headers=platform.headers("department"))
        assert [row["status"] for row in response.json()["bases"]] == expected, day
        assert response.json()["as_of"] == f"{day.isoformat()}T23:59:59.999999+08:00"

    other = declare(platform, batch_id, name="孝义市")
    app = platform.app("registry")
    app.all_events = None  # one base's status is folded from its own events, not the log
    one = requests.get(platform.url("registry", "/bases/status"), headers=platform.headers("department"),
                       params={"as_of": certified.isoformat(), "base_id": base["base_id"]})
    assert [(row["name"], row["status"]) for row in one.json()["bases"]] == [(base["name"], "certified")]
    early = requests.get(platform.url("registry", "/bases/status"), headers=platform.headers("department"),
                         params={"as_of": certified.isoformat(), "base_id": other["base_id"]})
    assert early.status_code == 404  # declared after that moment
    del app.all_events

    naive = requests.get(platform.url("registry", "/bases/status"), params={"as_of": "2018-01-01T00:00:00"},
                         headers=platform.headers("department"))
    assert naive.status_code == 400 and "as_of" in naive.json()["error"]["fields"]

    cli = subprocess.run([sys.executable, "-m", "services.cli", "status", "--as-of", certified.isoformat(),
                          "--json"], cwd=PROJECT_ROOT, env=platform.environment(),
                         capture_output=True, text=True, timeout=60)
    assert cli.returncode == 0, cli.stderr
    assert '"status": "certified"' in cli.stdout
    by_day = subprocess.run([sys.executable, "-m", "services.cli", "status", "--json", "--as-of",
                             datetime.now(timezone(timedelta(hours=8))).date().isoformat(),
                             "--base-id", base["base_id"]], cwd=PROJECT_ROOT,
                            env=platform.environment(), capture_output=True, text=True, timeout=60)
    assert by_day.returncode == 0, by_day.stderr
    assert '"status": "warned"' in by_day.stdout


def test_recompute_under_another_policy_is_a_read_for_overseers(platform):
    platform.start("evaluation")
    url = platform.url("evaluation", "/recompute")
    ok = requests.get(url, params={"policy_version": "adjustment-2019.1"}, headers=platform.headers("department"))
    assert ok.status_code == 200, ok.text
    assert ok.json() == {"policy_version": "adjustment-2019.1", "bases": [], "changed": []}
    unknown = requests.get(url, params={"policy_version": "adjustment-1999.9"}, headers=platform.headers("drc"))
    assert unknown.status_code in (404, 422)
    assert requests.get(url, params={"policy_version": "adjustment-2019.1"},
                        headers=platform.headers("applicant")).status_code == 403
