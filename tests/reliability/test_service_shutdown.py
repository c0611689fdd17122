"""A service process stops when asked, once, whenever it is asked. Ctrl-C on ``make run``
sends SIGINT to every service (the terminal signals the whole process group) and
``run-all`` forwards SIGTERM on top: the second stop failed inside nameko ("Trying to
re-send() an already-triggered event") and the process never exited. A stop that came
while the service was still starting left its queue consumer running, and the process
never exited either."""

import signal
import subprocess

import pytest
from kombu import Connection

from services.backbone.messaging.topology import inbox_queue_name
from tests.support.platform import wait_until

INBOX = inbox_queue_name("sc", "evaluation", "registry")


def consumers(config, queue: str) -> int:
    with Connection(config["broker"]["url"]) as connection:
        return connection.default_channel.queue_declare(queue, passive=True).consumer_count


def stopped(platform, process) -> int:
    try:
        status = process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail("still running 30 s after being asked to stop:\n" + platform.log("evaluation"))
    platform.processes.pop("evaluation")
    return status


@pytest.mark.parametrize("second", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_service_asked_to_stop_twice_stops_once_and_exits(platform, second):
    process = platform.spawn("evaluation")  # a timer, a subscription, the relay, HTTP and RPC
    wait_until(lambda: consumers(platform.config, INBOX) == 1, message="the subscription to consume")
    process.send_signal(signal.SIGINT)  # Ctrl-C in the terminal...
    process.send_signal(second)  # ...and run-all, or an impatient second Ctrl-C
    assert stopped(platform, process) == 0, platform.log("evaluation")
    assert "Traceback" not in platform.log("evaluation")
    assert platform.log("evaluation").count("stopping services") == 1


def test_a_service_asked_to_stop_while_it_starts_exits(platform):
    process = platform.spawn("evaluation")  # returns once HTTP answers: still starting
    process.send_signal(signal.SIGTERM)
    assert stopped(platform, process) == 0, platform.log("evaluation")
    assert "Traceback" not in platform.log("evaluation")
