"""The notifications process SIGKILLed in the middle of a backfill (a step's deliveries
and positions collected, not committed): after a restart the backfill goes on from the
last committed step, and the department gets every event of the history, and the live
ones that arrived meanwhile, each once and in order."""

import signal
from uuid import UUID

import requests

from services.backbone.kernel.context import Actor
from services.notifications.application import NotificationsApplication
from tests.support.broker import UpstreamLog, fake_source_service
from tests.support.platform import wait_until
from tests.support.settings import store_env_of
from tests.support.upstream import XIAOYI, base_declared

HISTORY = 60
DIES_AT_FIFTH_STEP = {"SC_FAILPOINTS": "notifications.before_backfill_commit=kill@5"}


def test_a_backfill_killed_midway_resumes_without_duplicates_or_losses(platform, container_factory):
    registry = UpstreamLog(platform.config, "registry")
    container_factory(fake_source_service(registry), platform.config_for_clients()).start()
    store = NotificationsApplication(env=store_env_of(platform.config, "notifications"))
    process = platform.spawn("notifications", env=DIES_AT_FIFTH_STEP)
    history = [registry.emit("BaseDeclared", base_declared(base=XIAOYI), role="applicant")
               for _ in range(HISTORY)]
    wait_until(lambda: store.last_position("registry") == HISTORY, timeout=60,
               message="the history to be applied live first")

    response = requests.post(platform.url("notifications", "/subscriptions"),
                             json={"channel": {"kind": "inbox"}, "filter": {"regions": [{"city": "吕梁市"}]},
                                   "backfill": {"from": "beginning", "rate": 40}},  # steps of 8
                             headers=platform.headers("department"))
    assert response.status_code == 201, response.text
    sid = response.json()["subscription_id"]
    assert process.wait(timeout=30) == -signal.SIGKILL
    platform.processes.pop("notifications")
    assert "failpoint notifications.before_backfill_commit: kill" in platform.log("notifications")
    at_death = store.repository.get(UUID(sid)).backfill
    assert at_death["delivered"] == 32 and at_death["finished_at"] is None, at_death

    platform.spawn("notifications")
    live = registry.emit("BaseDeclared", base_declared(base=XIAOYI), role="applicant")  # while it resumes
    url = platform.url("notifications", f"/subscriptions/{sid}")
    done = wait_until(lambda: (b := requests.get(url, headers=platform.headers("ops")).json()["backfill"])
                      ["finished_at"] and b, timeout=30, message="the backfill to finish")
    assert done["status"] == "completed" and done["delivered"] == HISTORY + 1

    expected = [e["event_id"] for e in history + [live]]
    rows = wait_until(lambda: len(r := _deliveries(store, sid)) >= len(expected) and r, timeout=10,
                      message="every delivery")
    assert [str(r["event_id"]) for r in rows] == expected  # each once, in log order
    store.close()
    registry.close()


def _deliveries(store: NotificationsApplication, sid: str) -> list[dict]:
    rows = store.list_deliveries(Actor(id=None, role="ops"))
    return sorted((r for r in rows if str(r["subscription_id"]) == sid), key=lambda r: r["sequence"])
