"""A declaration over HTTP becomes exactly one BaseDeclared message with a valid envelope."""

import requests

from services.backbone.messaging.topology import inbox_queue_name
from services.contracts import load_event
from tests.support.broker import UpstreamLog, body_of, headers_of, queue_messages
from tests.support.fixtures import batch_opened_payload, declaration
from tests.support.platform import wait_until


def open_batch(platform, **kwargs) -> str:
    evaluation = UpstreamLog(platform.config, "evaluation")
    payload = batch_opened_payload(**kwargs)
    evaluation.emit("BatchOpened", payload)
    wait_until(lambda: platform.app("registry").last_position("evaluation") >= evaluation.position,
               message="registry to record the batch")
    return payload["batch_id"]


def test_declaration_over_http_publishes_one_valid_base_declared(any_platform):
    platform = any_platform.start("registry")
    batch_id = open_batch(platform)

    response = requests.post(platform.url("registry", "/bases"),
                             json=declaration(batch_id),
                             headers=platform.applicant("山西大学"))
    assert response.status_code == 201, response.text
    base = response.json()
    assert base["status"] == "declared"

    queue = inbox_queue_name("sc", "evaluation", "registry")
    messages = wait_until(lambda: queue_messages(platform.config, queue), message="BaseDeclared")
    assert len(messages) == 1
    event = load_event(body_of(messages[0]))
    assert event.type == "BaseDeclared"
    assert str(event.payload["base_id"]) == base["base_id"]
    assert event.payload["name"] == "山西大学"
    assert event.source == "registry" and event.position >= 1
    assert event.actor.role == "applicant"
    assert event.occurred_at.tzinfo is not None
    assert messages[0].properties["message_id"] == str(event.event_id)
    assert messages[0].properties["delivery_mode"] == 2
    assert headers_of(messages[0])["position"] == event.position
