"""Only a source can speak for itself: the probe's attack, replayed.

A BaseAdjusted (certified -> revoked) for a certified base, with a position far past
evaluation's head, is published to evaluation's exchange with the broker's administrator
credentials, and through a consumer's own broker user. Neither has any effect: the base
stays certified, no money moves, nobody is notified, every consumer's position stays
where it was, the message is dead-lettered as forged, the alert is raised, and the next
genuine events are applied."""

import json
from datetime import datetime, timezone
from uuid import UUID, uuid4

import pytest
import requests
from amqp.exceptions import AccessRefused, ChannelError
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from kombu import Connection

from services.backbone.keys import load_keys
from services.backbone.messaging.broker import ConfirmedPublisher
from services.backbone.messaging.broker_users import as_service
from services.backbone.messaging.topology import (dead_letter_queue_name, events_exchange,
                                                  inbox_queue_name, replay_exchange)
from services.backbone.ops import monitor
from services.contracts.signing import Signer
from tests.integration.conftest import open_batch
from tests.support.broker import body_of, fake_source_service, headers_of, queue_messages
from tests.support.fixtures import declaration
from tests.support.funding import base_adjusted_payload
from tests.support.platform import wait_until

CONSUMERS = ("registry", "funding", "notifications")


def forged_revocation(base_id: str, position: int, previous: int) -> dict:
    return {
        "event_id": str(uuid4()), "type": "BaseAdjusted", "schema_version": 3,
        "source": "evaluation", "position": position, "previous_position": previous,
        "occurred_at": datetime.now(timezone.utc).isoformat(),
        "actor": {"id": str(uuid4()), "role": "drc", "name": "省发展改革委"},
        "correlation_id": str(uuid4()),
        "payload": base_adjusted_payload(base_id, "certified", "revoked", reason="资格已被撤销"),
    }


def positions(platform) -> dict:
    return {name: platform.app(name).last_position("evaluation") for name in CONSUMERS}


def dead_letters(platform, consumer: str) -> list:
    queue = dead_letter_queue_name(inbox_queue_name("sc", consumer, "evaluation"))
    return queue_messages(platform.config, queue)


@pytest.fixture
def certified(platform, evaluation_log, container_factory):
    """A certified base, evaluation played by the test with evaluation's own key and
    broker user (and its log served for gaps, as the real service serves it)."""
    platform.start(*CONSUMERS)
    container_factory(fake_source_service(evaluation_log), platform.config_for_clients()).start()
    batch_id = open_batch(platform, evaluation_log)
    answer = requests.post(platform.url("registry", "/bases"), json=declaration(batch_id),
                           headers=platform.headers("applicant"), timeout=10)
    assert answer.status_code == 201, answer.text
    base_id = answer.json()["base_id"]
    evaluation_log.emit("BaseAdjusted", base_adjusted_payload(base_id, "declared", "certified"))
    wait_until(lambda: all(p == evaluation_log.position for p in positions(platform).values()),
               timeout=20, message="every consumer to apply the certification")
    assert platform.app("registry").get_base(UUID(base_id)).status == "certified"
    return base_id, batch_id


def test_a_forged_event_has_no_effect_anywhere_and_the_genuine_ones_after_it_apply(
        platform, evaluation_log, certified):
    base_id, batch_id = certified
    head, before = evaluation_log.position, positions(platform)
    exchange = events_exchange("sc", "evaluation").name

    # 1. With the broker's administrator credentials, unsigned and then signed with a key
    #    of the attacker's own: the broker takes it, every consumer refuses it.
    admin = ConfirmedPublisher(platform.settings.broker.url)
    attacker = Signer("evaluation", Ed25519PrivateKey.generate())
    for forged in (forged_revocation(base_id, head + 500, head),
                   attacker.sign(forged_revocation(base_id, head + 501, head))):
        admin.publish(exchange=exchange, routing_key="BaseAdjusted", body=forged,
                      message_id=forged["event_id"])
    admin.close()

    # 2. A consumer's own credentials, signing with that consumer's real key: the broker
    #    refuses the publish to evaluation's exchange; through the consumer's own replay
    #    exchange it reaches its queue, and the consumer refuses the signature.
    notifications = as_service(platform.settings, "notifications")
    own_key = load_keys(platform.settings, "notifications").signer
    stolen = ConfirmedPublisher(notifications.broker.url)
    with pytest.raises((AccessRefused, ChannelError)):
        stolen.publish(exchange=exchange, routing_key="BaseAdjusted",
                       body=own_key.sign(forged_revocation(base_id, head + 502, head)), message_id="x")
    stolen.close()
    forged = own_key.sign(forged_revocation(base_id, head + 503, head))
    queue = inbox_queue_name("sc", "notifications", "evaluation")
    with Connection(notifications.broker.url) as connection:
        connection.Producer().publish(
            json.dumps(forged).encode(), exchange=replay_exchange("sc", "notifications").name, routing_key=queue,
            message_id=forged["event_id"], headers={"x-replayed-from": queue + ".dlq"},
            user_id=connection.userid, content_type="application/json")

    expected = {"registry": 2, "funding": 2, "notifications": 3}
    for consumer, count in expected.items():
        letters = wait_until(lambda c=consumer, n=count: len(dead_letters(platform, c)) >= n and dead_letters(platform, c),
                             timeout=20, message=f"{consumer} to dead-letter the forgeries")
        assert all(headers_of(m)["x-refused"] == "forged" for m in letters)
        assert all(body_of(m)["position"] > head for m in letters)
    assert positions(platform) == before  # no position moved
    assert platform.app("registry").get_base(UUID(base_id)).status == "certified"
    ledger = requests.get(platform.url("funding", "/ledger"), headers=platform.headers("funding_office"), timeout=10)
    assert "revoked" not in json.dumps(ledger.json(), ensure_ascii=False)
    notified = requests.get(platform.url("notifications", "/deliveries"), headers=platform.headers("ops"), timeout=10)
    assert "资格已被撤销" not in json.dumps(notified.json(), ensure_ascii=False)

    status = requests.get(platform.url("registry", "/ops/status"), headers=platform.headers("ops"), timeout=10).json()
    assert status["consumers"]["evaluation"]["outcomes"]["forged"] == 2
    report = monitor.platform_report(platform.settings)
    assert any("forged" in alert and alert.startswith("registry") for alert in report["alerts"])

    # 3. The genuine events that follow are applied, from the real head on.
    evaluation_log.emit("BatchClosed", {"batch_id": batch_id})
    wait_until(lambda: all(p == evaluation_log.position for p in positions(platform).values()),
               timeout=20, message="the genuine BatchClosed everywhere")
    assert platform.app("registry").batches()[0]["closed"] is True
