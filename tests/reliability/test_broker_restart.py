"""The broker gone while declarations flow: commands keep being accepted (they need only
the store; each 201 is timed, and some are answered inside the outage), the services
reconnect by themselves, the relays publish what piled up, and every acknowledged
declaration takes effect exactly once in every service.

Two outages: every TCP connection of the platform's processes to the broker destroyed
(``ss -K``, no AMQP close: a crash as the clients see it), again and again for seconds,
which touches no other test; and the RabbitMQ application stopped and started
(``rabbitmqctl stop_app``: the whole server, other tests' connections too), during which
ops' reads of the broker answer 503 (try again), not 500."""

import subprocess
import threading
import time

import pytest
import requests

from tests.reliability.conftest import scale
from tests.support.broker import broker_answers, cut_broker_sockets
from tests.support.exactly_once import check_effects_once_everywhere
from tests.support.flow import SERVICES, Declarations, prepare
from tests.support.platform import wait_until


def cut_sockets(platform, window: list, figures) -> None:
    """Cuts the services' broker connections every 0.1 s for a few seconds."""
    time.sleep(2.0)
    window.append(time.monotonic())
    cut, until = 0, time.monotonic() + scale(4, 10)
    while time.monotonic() < until:
        cut += cut_broker_sockets(platform.config, [p.pid for p in platform.processes.values()])
        time.sleep(0.1)
    window.append(time.monotonic())
    figures["broker connections cut"] = cut


def stop_broker(platform, window: list, figures) -> None:
    """Stops the RabbitMQ application (connections drop, queues stay on disk) for a few
    seconds, then starts it again."""
    time.sleep(2.0)
    subprocess.run(["rabbitmqctl", "stop_app"], check=True, capture_output=True, timeout=120)
    window.append(time.monotonic())
    started = time.monotonic()
    answer = requests.get(platform.url("registry", "/ops/dead-letters"), headers=platform.headers("ops"),
                          timeout=30)
    figures["ops answer while the broker is down"] = answer.status_code
    time.sleep(max(0.0, scale(3, 10) - (time.monotonic() - started)))
    window.append(time.monotonic())
    subprocess.run(["rabbitmqctl", "start_app"], check=True, capture_output=True, timeout=120)
    wait_until(lambda: broker_answers(platform.config), timeout=60, message="RabbitMQ to answer again")


@pytest.mark.parametrize("outage", [cut_sockets, stop_broker], ids=["connections-cut", "broker-stopped"])
def test_a_broker_outage_loses_nothing_and_services_reconnect(platform, outage, figures):
    for service in SERVICES:
        platform.spawn(service)
    flow = prepare(platform)
    client = Declarations(platform, flow.batch_id)
    window = []
    breaker = threading.Thread(target=outage, args=(platform, window, figures))
    breaker.start()
    try:
        while breaker.is_alive() or len(client.attempts) < scale(40, 400):
            client.declare(f"示范基地{len(client.attempts):04d}")
            time.sleep(0.02)
        breaker.join()
        figures.expect(len(window) == 2, "the outage did not happen")
        figures["outage (s)"] = round(window[1] - window[0], 1)
        figures["declarations acknowledged (201) during the outage"] = client.acknowledged_between(*window)
        figures.expect(figures["declarations acknowledged (201) during the outage"] > 0,
                       "no command was accepted while the broker was away")
        figures.expect(figures.get("broker connections cut", 1) > 0, "no connection was cut")
        figures.expect(figures.get("ops answer while the broker is down", 503) == 503,
                       "ops' dead letters did not answer 503 (try again) while the broker was down")
        for service in SERVICES:  # the same processes: they reconnected by themselves
            figures.expect(platform.processes[service].poll() is None, f"{service} died")
        check_effects_once_everywhere(platform, flow, client, figures)
    finally:
        flow.close()
