"""Notifications consumes registry, evaluation and funding each from its own queue, so
one may run ahead of another: an evaluation or funding event about a base whose
BaseDeclared has not been applied here yet waits for it, however long that takes, and
is never parked."""

import re
import time

import requests

from services.backbone.kernel.context import Actor
from services.backbone.messaging.topology import dead_letter_queue_name, inbox_queue_name
from tests.support.upstream import adjusted, base_declared
from tests.support.broker import UpstreamLog, queue_messages
from tests.support.platform import wait_until


def waiting_retries(platform, source: str) -> float:
    text = requests.get(platform.url("notifications", "/metrics"), headers=platform.headers("ops")).text
    found = re.search(rf'sc_handler_failures_total\{{kind="waiting",source="{source}"\}} (\S+)', text)
    return float(found.group(1)) if found else 0.0


def test_an_event_about_a_base_not_yet_declared_here_waits_for_the_declaration_and_is_not_parked(
        platform):
    platform.start("notifications")
    response = requests.post(platform.url("notifications", "/subscriptions"),
                             json={"channel": {"kind": "inbox"}}, headers=platform.headers("drc"))
    assert response.status_code == 201, response.text
    registry, evaluation = UpstreamLog(platform.config, "registry"), UpstreamLog(platform.config, "evaluation")
    declared = registry.envelope("BaseDeclared", base_declared(), role="applicant")  # held back
    certified = evaluation.emit("BaseAdjusted", adjusted(declared["payload"]["base_id"]))
    app = platform.app("notifications")

    # Parking would come after max_attempts failures with doubling backoff; wait well
    # past that.
    consumer = platform.config["consumer"]
    parking_after = sum(consumer["retry_backoff_seconds"] * 2 ** n for n in range(consumer["max_attempts"]))
    wait_until(lambda: waiting_retries(platform, "evaluation") >= 1, message="the event to wait")
    time.sleep(max(2.0, 10 * parking_after))
    assert app.parked("evaluation", certified["position"]) is None
    assert app.last_position("evaluation") == 0, "held, not applied without its base"

    registry.publish(declared)
    overseer = Actor(id=declared["actor"]["id"], role="ops")
    rows = wait_until(lambda: (r := app.list_deliveries(overseer)) and len(r) == 2 and r,
                      timeout=20, message="both deliveries")
    assert {str(r["event_id"]) for r in rows} == {declared["event_id"], certified["event_id"]}
    assert app.last_position("evaluation") == certified["position"]
    assert app.parked("evaluation", certified["position"]) is None
    dlq = dead_letter_queue_name(inbox_queue_name(platform.config["broker"]["namespace"],
                                                  "notifications", "evaluation"))
    assert queue_messages(platform.config, dlq) == []
    assert waiting_retries(platform, "evaluation") >= 2
    registry.close()
    evaluation.close()
