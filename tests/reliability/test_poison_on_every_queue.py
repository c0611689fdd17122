"""Malformed, oversized, wrongly typed and unknown-version messages on every queue of the
platform: each goes to that queue's dead-letter queue with an error that says what is
wrong, and the event after them is applied."""

import json

import pytest
import requests

from services.backbone.messaging.topology import SUBSCRIPTIONS, dead_letter_queue_name, inbox_queue_name
from services.contracts import CATALOG
from tests.support.broker import UpstreamLog, headers_of, queue_messages
from tests.support.platform import wait_until

VALID = {  # a harmless event each source publishes, that every consumer accepts
    "registry": "PlanFiled",
    "evaluation": "RoundClosed",
    "funding": "BudgetEnvelopeOpened",
}


def bad_messages(upstream: UpstreamLog, event_type: str, payload: dict, limit: int) -> dict[str, bytes | dict]:
    typed = upstream.envelope(event_type, payload, position=900, previous=None)
    typed["position"] = "900"
    unknown = upstream.envelope(event_type, payload, position=901, previous=None)
    unknown["schema_version"] = 99
    return {
        "not valid JSON": b"\x00\x01 this is not json",
        "nests too deep": b'{"x": ' + b"[" * 50000 + b"]" * 50000 + b"}",
        "exceeds": json.dumps({"padding": "x" * (limit + 10)}).encode(),
        "Not a valid integer": typed,
        "Unknown version 99": unknown,
    }


@pytest.mark.parametrize("source", sorted(VALID))
def test_every_consumer_of_a_source_dead_letters_poison_and_keeps_flowing(platform, source):
    consumers = sorted(c for c, sources in SUBSCRIPTIONS.items() if source in sources)
    platform.start(*consumers)
    upstream = UpstreamLog(platform.config, source)
    event_type = VALID[source]
    payload = dict(CATALOG[event_type].example)
    limit = platform.config["consumer"]["max_message_bytes"]
    valid = upstream.envelope(event_type, payload)  # position 1, published after the poison
    for message in bad_messages(upstream, event_type, payload, limit).values():
        upstream.publish(message, routing_key=event_type)
    upstream.publish(valid)

    for consumer in consumers:
        app = platform.app(consumer)
        wait_until(lambda: app.last_position(source) >= valid["position"],
                   message=f"{consumer} to apply the event after the poison")
        assert app.parked(source, valid["position"]) is None, f"{consumer} parked the valid event"
        dlq = dead_letter_queue_name(inbox_queue_name("sc", consumer, source))
        errors = [headers_of(m)["x-error"] for m in wait_until(
            lambda: len(queue_messages(platform.config, dlq)) >= 5 and queue_messages(platform.config, dlq),
            message=f"the poison in {dlq}")]
        assert len(errors) == 5, errors
        for reason in bad_messages(upstream, event_type, payload, limit):
            assert any(reason in error for error in errors), (consumer, reason, errors)
    upstream.close()


@pytest.mark.parametrize("field", ["position", "previous_position"])
def test_a_position_beyond_what_a_consumer_stores_is_dead_lettered_once_and_moves_nothing(platform, field):
    platform.start("registry")
    upstream = UpstreamLog(platform.config, "evaluation")
    payload = dict(CATALOG["RoundClosed"].example)
    valid = upstream.envelope("RoundClosed", payload)  # position 1, published after the poison
    poison = upstream.envelope("RoundClosed", payload, position=2, previous=None)
    poison[field] = 10**30
    upstream.publish(poison)
    upstream.publish(valid)

    app = platform.app("registry")
    wait_until(lambda: app.last_position("evaluation") >= 1, message="the event after the poison to apply")
    dlq = dead_letter_queue_name(inbox_queue_name("sc", "registry", "evaluation"))
    letters = queue_messages(platform.config, dlq)
    assert len(letters) == 1, [headers_of(m).get("x-error") for m in letters]
    assert field in headers_of(letters[0])["x-error"] and headers_of(letters[0])["x-attempts"] == 1
    assert app.last_position("evaluation") == 1
    status = requests.get(platform.url("registry", "/ops/status"), headers=platform.headers("ops"), timeout=10).json()
    assert status["consumers"]["evaluation"]["highest_seen"] == 1, status["consumers"]
    upstream.close()
