"""The relay killed with SIGKILL between commit and publish (and between publish and
recording its position) loses nothing and publishes each event once per commit."""

import signal
import time

import requests

from tests.support.settings import store_env_of
from services.backbone.messaging.topology import inbox_queue_name
from services.registry.application import RegistryApplication
from tests.support.broker import UpstreamLog, body_of, queue_messages
from tests.support.fixtures import declaration
from tests.support.platform import wait_until

QUEUE = inbox_queue_name("sc", "evaluation", "registry")


def base_declared_messages(platform):
    return [m for m in queue_messages(platform.config, QUEUE) if body_of(m)["type"] == "BaseDeclared"]


def open_batch_for_process(platform) -> str:
    """Opens a batch and waits until the registry process has recorded it."""
    upstream = UpstreamLog(platform.config, "evaluation")
    from tests.support.fixtures import batch_opened_payload

    payload = batch_opened_payload()
    upstream.emit("BatchOpened", payload)
    headers = platform.headers("drc")
    wait_until(lambda: requests.get(platform.url("registry", "/batches"), headers=headers).json()["batches"],
               message="the batch to reach the registry process")
    upstream.close()
    return payload["batch_id"]


def post_declaration(platform, batch_id):
    try:
        return requests.post(platform.url("registry", "/bases"), json=declaration(batch_id),
                             headers=platform.applicant(), timeout=10)
    except requests.ConnectionError:
        return None  # the process died while answering: the commit may still have happened


def test_killed_after_commit_before_publish_publishes_exactly_once_after_restart(platform):
    process = platform.spawn("registry", env={"SC_FAILPOINTS": "relay.before_publish=kill"})
    batch_id = open_batch_for_process(platform)
    post_declaration(platform, batch_id)
    assert process.wait(timeout=30) == -signal.SIGKILL
    platform.processes.pop("registry")

    registry = RegistryApplication(env=store_env_of(platform.config, "registry"))
    committed = registry.list_bases()
    assert [row["name"] for row in committed] == ["山西大学"]  # committed before the kill
    registry.close()
    assert base_declared_messages(platform) == []  # ...and not published

    platform.spawn("registry")
    wait_until(lambda: base_declared_messages(platform), message="publication after restart")
    settled_after_publishing(platform)
    messages = base_declared_messages(platform)
    assert len(messages) == 1  # once, not once more by a later turn of the relay
    assert body_of(messages[0])["payload"]["base_id"] == str(committed[0]["base_id"])


def settled_after_publishing(platform) -> None:
    """Waits until the registry's relay has nothing left to publish, then for more than
    one turn of its timer: a second publication would be on the queue by then."""
    headers = platform.headers("ops")
    wait_until(lambda: requests.get(platform.url("registry", "/ops/status"), headers=headers)
               .json()["relay"]["lag"] == 0, message="the relay to have published everything")
    time.sleep(2 * float(platform.config["relay"]["poll_interval_seconds"]) + 0.2)


def test_killed_after_publish_before_recording_republishes_the_same_event(platform):
    process = platform.spawn("registry", env={"SC_FAILPOINTS": "relay.after_publish=kill"})
    batch_id = open_batch_for_process(platform)
    post_declaration(platform, batch_id)
    assert process.wait(timeout=30) == -signal.SIGKILL
    platform.processes.pop("registry")
    assert len(base_declared_messages(platform)) == 1

    platform.spawn("registry")
    messages = wait_until(lambda: len(base_declared_messages(platform)) == 2 and base_declared_messages(platform),
                          message="the republication")
    settled_after_publishing(platform)
    assert len(base_declared_messages(platform)) == 2  # republished once, not again and again
    first, second = (body_of(m) for m in messages)
    # At least once on the wire, with the same identity: consumers apply it once.
    assert first["event_id"] == second["event_id"]
    assert first["position"] == second["position"]
    assert messages[0].properties["message_id"] == messages[1].properties["message_id"]
