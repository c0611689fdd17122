"""The notifications process SIGKILLed while a webhook is in flight (sent, outcome not
recorded): after a restart the attempt is recorded as interrupted and the delivery is
sent again, with the same delivery id, so the receiver can tell it is the same one."""

import signal

import requests

from tests.support.upstream import base_declared
from tests.support.receivers import WebhookReceiver
from tests.support.broker import UpstreamLog
from tests.support.platform import wait_until


def test_a_delivery_in_flight_when_the_process_died_is_sent_again_after_restart(platform):
    receiver = WebhookReceiver(secret="s" * 20)  # checks both attempts' signatures
    lease = {"SC_NOTIFICATIONS__ATTEMPT_LEASE_SECONDS": "1.5"}
    process = platform.spawn("notifications", env={**lease, "SC_FAILPOINTS": "notifications.after_send=kill"})
    response = requests.post(platform.url("notifications", "/subscriptions"),
                             json={"channel": {"kind": "webhook", "url": receiver.url(), "secret": "s" * 20}},
                             headers=platform.headers("department"))
    assert response.status_code == 201, response.text
    registry = UpstreamLog(platform.config, "registry")
    registry.emit("BaseDeclared", base_declared(), role="applicant")
    assert process.wait(timeout=30) == -signal.SIGKILL
    platform.processes.pop("notifications")
    assert len(receiver.requests) == 1  # it arrived; the process died before recording that

    platform.spawn("notifications", env=lease)
    wait_until(lambda: len(receiver.requests) == 2, timeout=20, message="the delivery sent again")
    first, second = receiver.requests
    assert first["headers"]["X-SC-Delivery"] == second["headers"]["X-SC-Delivery"]
    assert first["body"] == second["body"]
    assert second["headers"]["X-SC-Attempt"] == "2"
    assert first["signature_ok"] and second["signature_ok"]

    delivery_url = platform.url("notifications", f"/deliveries/{first['headers']['X-SC-Delivery']}")
    shown = wait_until(lambda: (d := requests.get(delivery_url, headers=platform.headers("ops")).json())
                       ["status"] == "delivered" and d, message="the outcome to be recorded")
    assert [a["outcome"] for a in shown["attempts"]] == ["failed", "delivered"]
    assert shown["attempts"][0]["error"].startswith("Interrupted")
    registry.close()
    receiver.close()
