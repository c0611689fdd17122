"""RabbitMQ restarted while declarations flow: commands keep being accepted (they only
need the store), the services reconnect by themselves, the relays publish what piled
up, and every acknowledged declaration takes effect exactly once in every service."""

import subprocess
import threading
import time

from tests.reliability.conftest import scale
from tests.support.exactly_once import check_effects_once_everywhere
from tests.support.flow import SERVICES, Declarations, prepare
from tests.support.platform import wait_until


def broker_answers() -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 5672), timeout=1).close()
        return True
    except OSError:
        return False


def restart_broker(stopped: list) -> None:
    """Stops the RabbitMQ application (connections drop, queues stay on disk) for a few
    seconds, then starts it again."""
    time.sleep(2.0)
    subprocess.run(["rabbitmqctl", "stop_app"], check=True, capture_output=True, timeout=120)
    stopped.append(time.monotonic())
    time.sleep(scale(3, 10))
    subprocess.run(["rabbitmqctl", "start_app"], check=True, capture_output=True, timeout=120)
    wait_until(broker_answers, timeout=60, message="RabbitMQ to answer again")
    stopped.append(time.monotonic())


def test_a_broker_restart_loses_nothing_and_services_reconnect(platform, figures):
    for service in SERVICES:
        platform.spawn(service)
    flow = prepare(platform)
    client = Declarations(platform, flow.batch_id)
    outage = []
    restarter = threading.Thread(target=restart_broker, args=(outage,))
    restarter.start()
    while restarter.is_alive() or len(client.attempts) < scale(40, 400):
        client.declare(f"示范基地{len(client.attempts):04d}")
        time.sleep(0.02)
    restarter.join()
    assert len(outage) == 2, "the broker was not restarted"
    figures["broker down for (s)"] = round(outage[1] - outage[0], 1)
    for service in SERVICES:  # the same processes: they reconnected by themselves
        assert platform.processes[service].poll() is None, f"{service} died"
    try:
        check_effects_once_everywhere(platform, flow, client, figures)
    finally:
        flow.close()
