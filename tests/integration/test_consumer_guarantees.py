"""The idempotent consumer over the real broker: duplicates take effect once, gaps are
filled from the source's log, poison goes to the dead-letter queue and the queue flows."""

import time
from uuid import UUID

import pytest
import requests
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy

from services.backbone.messaging.topology import dead_letter_queue_name, inbox_queue_name
from tests.integration.conftest import open_batch
from tests.support.broker import body_of, fake_source_service, headers_of, queue_messages
from tests.support.fixtures import declaration
from tests.support.platform import wait_until


def declare(platform, batch_id, **kwargs) -> dict:
    response = requests.post(platform.url("registry", "/bases"), json=declaration(batch_id, **kwargs),
                             headers=platform.headers("drc"))
    assert response.status_code == 201, response.text
    return response.json()


def adjustment(base_id, from_status, to_status, reason="测试") -> dict:
    return {"base_id": base_id, "from_status": from_status, "to_status": to_status,
            "reason": reason, "basis": "selection"}


def registry_caught_up(platform, position):
    return lambda: platform.app("registry").last_position("evaluation") >= position


def test_a_duplicated_delivery_takes_effect_once(platform, evaluation_log):
    platform.start("registry")
    base = declare(platform, open_batch(platform, evaluation_log))
    certified = evaluation_log.emit("BaseAdjusted", adjustment(base["base_id"], "declared", "certified"))
    evaluation_log.publish(certified)  # the broker delivers it again
    evaluation_log.publish(certified)
    marker = evaluation_log.emit("BatchClosed", {"batch_id": base["batch_id"]})
    wait_until(registry_caught_up(platform, marker["position"]))

    stored = platform.app("registry").get_base(UUID(base["base_id"]))
    assert stored.status == "certified"
    assert len(stored.adjustments) == 1


def test_a_gap_is_filled_from_the_source_before_going_on(platform, evaluation_log, container_factory):
    platform.start("registry")
    base_id = declare(platform, open_batch(platform, evaluation_log))["base_id"]
    source = container_factory(fake_source_service(evaluation_log), platform.config_for_clients())
    source.start()

    evaluation_log.envelope("BaseAdjusted", adjustment(base_id, "declared", "certified"))  # never sent
    evaluation_log.emit("BaseAdjusted", adjustment(base_id, "certified", "warned"))
    wait_until(registry_caught_up(platform, evaluation_log.position), message="the gap to be filled")

    stored = platform.app("registry").get_base(UUID(base_id))
    assert [a["to"] for a in stored.adjustments] == ["certified", "warned"]
    assert stored.status == "warned"


def test_a_gap_whose_source_store_does_not_answer_waits_for_it_and_is_never_dead_lettered(
        platform, evaluation_log, container_factory):
    platform.start("registry")
    base_id = declare(platform, open_batch(platform, evaluation_log))["base_id"]
    fails = platform.config["consumer"]["max_attempts"] + 2  # more than would park an event
    source_service = fake_source_service(evaluation_log, store_fails=fails)
    source = container_factory(source_service, platform.config_for_clients())
    source.start()
    token = platform.headers("service")["Authorization"]
    with ClusterRpcProxy(platform.config_for_clients(), timeout=10,
                         context_data={"authorization": token}) as cluster:
        with pytest.raises(RemoteError) as refused:  # what a caller of the source sees
            cluster.evaluation.events_after(after=0)
    assert refused.value.exc_type == "Unavailable"
    assert "did not answer" in refused.value.value

    evaluation_log.envelope("BaseAdjusted", adjustment(base_id, "declared", "certified"))  # never sent
    warned = evaluation_log.emit("BaseAdjusted", adjustment(base_id, "certified", "warned"))
    wait_until(registry_caught_up(platform, warned["position"]), timeout=60,
               message="the gap to be filled once the source's store answers")

    registry = platform.app("registry")
    assert [a["to"] for a in registry.get_base(UUID(base_id)).adjustments] == ["certified", "warned"]
    assert source_service.calls > fails
    assert registry.parked("evaluation", warned["position"]) is None
    dlq = dead_letter_queue_name(inbox_queue_name("sc", "registry", "evaluation"))
    assert queue_messages(platform.config, dlq) == []
    transient = registry.metrics.handler_failures.labels("evaluation", "transient")._value.get()
    assert transient >= fails - 1  # each a wait, none counted towards parking


def test_a_message_that_is_not_an_event_is_dead_lettered_and_the_queue_flows(platform, evaluation_log):
    platform.start("registry")
    batch_id = open_batch(platform, evaluation_log)
    evaluation_log.publish(b"{not json", routing_key="BaseAdjusted")
    missing_field = evaluation_log.envelope("BatchClosed", {"batch_id": batch_id})
    del missing_field["correlation_id"]
    evaluation_log.publish(missing_field)
    closed = evaluation_log.emit("BatchClosed", {"batch_id": batch_id}, previous=missing_field["previous_position"])
    wait_until(registry_caught_up(platform, closed["position"]), message="the valid event after the poison")

    dlq = dead_letter_queue_name(inbox_queue_name("sc", "registry", "evaluation"))
    dead = wait_until(lambda: len(queue_messages(platform.config, dlq)) == 2 and queue_messages(platform.config, dlq))
    errors = sorted(headers_of(m)["x-error"] for m in dead)
    assert "not valid JSON" in errors[1] or "not valid JSON" in errors[0]
    assert any("correlation_id" in e and "Missing data" in e for e in errors)
    assert all(headers_of(m)["x-original-queue"] == inbox_queue_name("sc", "registry", "evaluation")
               for m in dead)
    assert platform.app("registry").batches()[0]["closed"] is True


def test_a_handler_that_keeps_failing_is_parked_after_n_attempts_and_the_next_event_applies(
        platform, evaluation_log):
    platform.start("registry")
    base_id = declare(platform, open_batch(platform, evaluation_log))["base_id"]
    unknown_base = "00000000-0000-4000-8000-000000000001"
    poison = evaluation_log.emit("BaseAdjusted", adjustment(unknown_base, "declared", "certified"))
    good = evaluation_log.emit("BaseAdjusted", adjustment(base_id, "declared", "certified"))
    wait_until(registry_caught_up(platform, good["position"]), message="the event after the poison")

    registry = platform.app("registry")
    assert registry.get_base(UUID(base_id)).status == "certified"
    parked = registry.parked("evaluation", poison["position"])
    assert parked is not None and parked.state == "parked"
    assert parked.attempts == platform.config["consumer"]["max_attempts"]
    assert "No base" in parked.error

    dlq = dead_letter_queue_name(inbox_queue_name("sc", "registry", "evaluation"))
    dead = wait_until(lambda: queue_messages(platform.config, dlq))
    assert len(dead) == 1
    assert body_of(dead[0])["position"] == poison["position"]
    assert "NotFound" in headers_of(dead[0])["x-error"]


def test_an_entry_of_the_source_log_it_cannot_read_is_parked_there_and_the_events_after_it_apply(
        platform, evaluation_log, container_factory):
    platform.start("registry")
    batch_id = open_batch(platform, evaluation_log)
    base_id = declare(platform, batch_id)["base_id"]
    container_factory(fake_source_service(evaluation_log), platform.config_for_clients()).start()
    newer = evaluation_log.envelope("BatchClosed", {"batch_id": batch_id})
    newer["schema_version"] = 99  # from an evaluation newer than this registry
    evaluation_log.publish(newer)
    certified = evaluation_log.emit("BaseAdjusted", adjustment(base_id, "declared", "certified"))
    assert certified["previous_position"] == newer["position"]  # the unreadable one is in the chain
    wait_until(registry_caught_up(platform, certified["position"]), timeout=20,
               message="the event after the unreadable one")

    registry = platform.app("registry")
    assert registry.get_base(UUID(base_id)).status == "certified"
    assert registry.batches()[0]["closed"] is False  # never applied half-read
    parked = registry.parked("evaluation", newer["position"])
    assert parked is not None and parked.state == "parked"
    assert "Unknown version 99" in parked.error
    dlq = dead_letter_queue_name(inbox_queue_name("sc", "registry", "evaluation"))
    dead = wait_until(lambda: len(queue_messages(platform.config, dlq)) >= 2 and queue_messages(platform.config, dlq))
    assert all("Unknown version 99" in headers_of(m)["x-error"] for m in dead)
    assert {body_of(m)["position"] for m in dead} == {newer["position"]}


def test_an_event_whose_gap_the_source_does_not_give_waits_and_is_not_applied_over_it(
        platform, evaluation_log, container_factory):
    platform.start("registry")
    base_id = declare(platform, open_batch(platform, evaluation_log))["base_id"]
    container_factory(fake_source_service(evaluation_log), platform.config_for_clients()).start()
    missing = evaluation_log.envelope("BaseAdjusted", adjustment(base_id, "declared", "certified"))
    evaluation_log.log.remove(missing)  # the source's answer lacks it for now
    warned = evaluation_log.emit("BaseAdjusted", adjustment(base_id, "certified", "warned"))

    time.sleep(1.5)  # many pulls, each short of the gap
    registry = platform.app("registry")
    assert registry.last_position("evaluation") < missing["position"]
    assert registry.get_base(UUID(base_id)).status == "declared"

    evaluation_log.log.append(missing)
    wait_until(registry_caught_up(platform, warned["position"]), timeout=20,
               message="the gap to be filled once the source gives it")
    assert [a["to"] for a in registry.get_base(UUID(base_id)).adjustments] == ["certified", "warned"]
    assert registry.parked("evaluation", warned["position"]) is None
