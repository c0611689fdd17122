"""An event that kills its consumer's process (not an exception: the process itself dies)
is parked after ``consumer.max_attempts`` deaths instead of killing it at every restart,
although the catch-up at start pulls it from the source whatever the broker did."""

import signal

import requests

from tests.support.settings import store_env_of
from services.backbone.messaging.topology import dead_letter_queue_name, inbox_queue_name
from services.registry.application import RegistryApplication
from tests.support.broker import UpstreamLog, body_of, fake_source_service, headers_of, queue_messages
from tests.support.fixtures import batch_opened_payload
from tests.support.platform import wait_until

DIES_APPLYING = {"SC_FAILPOINTS": "consumer.before_apply=kill"}  # every event kills it


def test_an_event_that_kills_the_consumer_is_parked_after_n_deaths_and_the_next_one_applies(
        platform, container_factory):
    upstream = UpstreamLog(platform.config, "evaluation")
    container_factory(fake_source_service(upstream), platform.config_for_clients()).start()
    deadly = upstream.emit("BatchOpened", batch_opened_payload())
    deaths = platform.config["consumer"]["max_attempts"]

    for death in range(1, deaths + 1):
        process = platform.spawn("registry", env=DIES_APPLYING, wait=False)
        assert process.wait(timeout=60) == -signal.SIGKILL, f"start {death} should die applying it"
        platform.processes.pop("registry")

    survivor = platform.spawn("registry", env=DIES_APPLYING)  # parks it instead of applying it
    dlq = dead_letter_queue_name(inbox_queue_name("sc", "registry", "evaluation"))
    dead = wait_until(lambda: queue_messages(platform.config, dlq), timeout=30, message="the dead letter")
    assert survivor.poll() is None
    assert [body_of(m)["position"] for m in dead] == [deadly["position"]]
    assert f"died {deaths} times" in headers_of(dead[0])["x-error"]
    platform.kill("registry", signal.SIGTERM)

    registry = RegistryApplication(env=store_env_of(platform.config, "registry"))
    parked = registry.parked("evaluation", deadly["position"])
    assert parked is not None and parked.state == "parked"
    assert registry.batches() == []  # never applied
    registry.close()

    platform.spawn("registry")  # healthy again: what follows applies
    following = upstream.emit("BatchOpened", batch_opened_payload(name="2018年第二批"))
    headers = platform.headers("drc")
    wait_until(lambda: [b["name"] for b in requests.get(platform.url("registry", "/batches"),
                                                         headers=headers).json()["batches"]] == ["2018年第二批"],
               timeout=30, message="the event after the parked one")
    assert following["previous_position"] == deadly["position"]
    upstream.close()
