"""A department that joins late: its subscription starts from the beginning or from a
date, the history comes paced from the sources' logs, each matching event once and in
log order, the live events that arrive meanwhile after it, and a cancelled backfill
stops the history but not the present."""

import time
from datetime import datetime, timezone

import pytest
import requests

from services.backbone.kernel.context import Actor
from tests.support.broker import UpstreamLog, fake_source_service
from tests.support.platform import wait_until
from tests.support.upstream import SXU, XIAOYI, base_declared

LVLIANG = {"regions": [{"city": "吕梁市"}]}  # XIAOYI's bases, not SXU's


@pytest.fixture
def registry(platform, container_factory):
    """Notifications running, and a registry log it consumes and can read back."""
    platform.start("notifications")
    upstream = UpstreamLog(platform.config, "registry")
    container_factory(fake_source_service(upstream), platform.config_for_clients()).start()
    yield upstream
    upstream.close()


def declare(platform, registry, count: int, every: int = 2) -> list[dict]:
    """``count`` bases declared, every ``every``-th in 吕梁市; returns the 吕梁市 ones,
    once notifications has applied them all."""
    sent = [registry.emit("BaseDeclared", base_declared(base=XIAOYI if n % every == 0 else SXU),
                          role="applicant") for n in range(count)]
    app = platform.app("notifications")
    wait_until(lambda: app.last_position("registry") == registry.position, timeout=60,
               message="notifications to apply every event")
    return [e for n, e in enumerate(sent) if n % every == 0]


def subscribe(platform, backfill: dict, headers=None, filter=LVLIANG):
    response = requests.post(platform.url("notifications", "/subscriptions"),
                             json={"channel": {"kind": "inbox"}, "filter": filter,
                                   "backfill": backfill},
                             headers=headers or platform.headers("department"))
    assert response.status_code == 201, response.text
    return response.json()


def backfill_of(platform, subscription_id: str) -> dict:
    url = platform.url("notifications", f"/subscriptions/{subscription_id}")
    return requests.get(url, headers=platform.headers("ops")).json()["backfill"]


def finished(platform, subscription_id: str, timeout: float = 30) -> dict:
    return wait_until(lambda: (b := backfill_of(platform, subscription_id))["finished_at"] and b,
                      timeout=timeout, message="the backfill to finish")


def delivered_in_order(platform, subscription_id: str) -> list[dict]:
    """The subscription's deliveries in the order they were scheduled (oldest first)."""
    rows = platform.app("notifications").list_deliveries(Actor(id=None, role="ops"))
    return sorted((r for r in rows if str(r["subscription_id"]) == subscription_id),
                  key=lambda r: r["sequence"])


def test_from_the_beginning_each_matching_event_once_in_order_and_live_ones_after(platform, registry):
    history = declare(platform, registry, 200)
    subscription = subscribe(platform, {"from": "beginning", "rate": 50})
    sid = subscription["subscription_id"]
    assert subscription["backfill"]["status"] == "running"
    assert subscription["backfill"]["sources"]["registry"] == {"position": 0, "live_from": 200,
                                                               "caught_up": False}
    wait_until(lambda: backfill_of(platform, sid)["delivered"] >= 10, message="the backfill to start")
    # arrives live while the backfill is still far before it: held for the backfill
    during = [registry.emit("BaseDeclared", base_declared(base=XIAOYI), role="applicant") for _ in range(2)]
    assert backfill_of(platform, sid)["sources"]["registry"]["position"] < 200
    progress = finished(platform, sid)
    after = registry.emit("BaseDeclared", base_declared(base=XIAOYI), role="applicant")  # live again

    expected = [e["event_id"] for e in history + during + [after]]
    wait_until(lambda: len(delivered_in_order(platform, sid)) >= len(expected), message="the live one")
    time.sleep(0.3)  # nothing more comes
    assert [str(r["event_id"]) for r in delivered_in_order(platform, sid)] == expected
    assert progress["status"] == "completed" and progress["delivered"] == 102
    assert progress["sources"]["registry"] == {"position": 202, "live_from": 200, "caught_up": True}
    assert progress["sources"]["funding"]["caught_up"]


def test_from_a_date_only_the_events_since_then(platform, registry):
    declare(platform, registry, 10, every=1)
    since = datetime.now(timezone.utc)
    time.sleep(0.01)
    later = declare(platform, registry, 6, every=1)
    sid = subscribe(platform, {"from": since.isoformat(), "rate": 200})["subscription_id"]
    assert finished(platform, sid)["from"] == since.isoformat()
    assert [str(r["event_id"]) for r in delivered_in_order(platform, sid)] == [e["event_id"] for e in later]


def test_cancelled_it_stops_the_history_but_not_what_followed_and_keeps_its_pace(platform, registry):
    history = declare(platform, registry, 60, every=1)
    department = platform.headers("department")
    sid = subscribe(platform, {"from": "beginning", "rate": 10}, department)["subscription_id"]
    wait_until(lambda: backfill_of(platform, sid)["delivered"] >= 12, timeout=10, message="some history")
    live = registry.emit("BaseDeclared", base_declared(base=XIAOYI), role="applicant")
    response = requests.delete(platform.url("notifications", f"/subscriptions/{sid}/backfill"),
                               headers=department)
    assert response.status_code == 200, response.text
    assert response.json()["backfill"]["status"] == "cancelled"
    progress = finished(platform, sid)
    rows = delivered_in_order(platform, sid)
    ids = [str(r["event_id"]) for r in rows]
    assert ids[-1] == live["event_id"], "the live event it held back still comes"
    assert ids[:-1] == [e["event_id"] for e in history[:len(ids) - 1]] and len(ids) < 30
    assert progress["status"] == "cancelled" and progress["cancelled_at"] <= progress["finished_at"]

    # paced: 10 a second, scheduled in steps of two (a fifth of a second's worth)
    times = [r["created_at"] for r in rows[:-1]]
    span = (times[-1] - times[0]).total_seconds()
    assert (len(times) - 2) / span <= 10 * 1.1, f"{len(times)} deliveries in {span:.2f}s"


def test_a_backfill_asks_for_a_known_start_and_a_bounded_rate(platform, registry):
    url = platform.url("notifications", "/subscriptions")
    headers = platform.headers("department")
    for backfill, field in (({"from": "beginning", "rate": 100000}, "rate"),
                            ({"from": "2017-03-01T00:00:00"}, "from"),  # no zone
                            ({"from": "yesterday"}, "from"), ({"rate": 5}, "from")):
        response = requests.post(url, json={"channel": {"kind": "inbox"}, "backfill": backfill},
                                 headers=headers)
        assert response.status_code in (400, 422), response.text
        assert field in str(response.json()), response.text
    above = requests.post(url, json={"channel": {"kind": "inbox"}, "backfill": {"from": "beginning", "rate": 201}},
                          headers=headers)
    assert above.status_code == 422 and "backfill.rate" in above.text, above.text

    declare(platform, registry, 20, every=1)
    sid = subscribe(platform, {"from": "beginning", "rate": 1}, headers)["subscription_id"]
    backfill_url = platform.url("notifications", f"/subscriptions/{sid}/backfill")
    again = requests.post(backfill_url, json={"from": "beginning"}, headers=headers)
    assert again.status_code == 409, again.text  # one at a time
    other = requests.delete(backfill_url, headers=platform.headers("department"))
    assert other.status_code == 403, other.text  # another department's token
    assert requests.delete(backfill_url, headers=headers).status_code == 200
    finished(platform, sid)
    assert requests.delete(backfill_url, headers=headers).status_code == 409  # none running

    # an existing subscription backfilled: what it has already is not sent again
    restart = requests.post(backfill_url, json={"from": "beginning", "rate": 200}, headers=headers)
    assert restart.status_code == 202, restart.text
    finished(platform, sid)
    ids = [str(r["event_id"]) for r in delivered_in_order(platform, sid)]
    assert len(ids) == len(set(ids)) == 20

    again = requests.post(backfill_url, json={"from": "beginning", "rate": 1}, headers=headers)
    assert again.status_code == 202, again.text
    requests.delete(platform.url("notifications", f"/subscriptions/{sid}"), headers=headers)
    assert backfill_of(platform, sid)["status"] == "cancelled"  # with its subscription
