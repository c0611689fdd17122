"""Every service SIGKILLed in turn, at random moments, while declarations flow; each is
restarted. In the end every declaration acknowledged to its client has taken effect
exactly once in every service (registry, evaluation, funding, notifications), and every
service's read models equal a rebuild from its log.

The client behaves as a real one: a request that fails (service down, connection cut)
is retried until it is acknowledged, 201 (declared) or 409 (already declared) after an
attempt that got no answer (it committed before the process died).
"""

import random
import signal
import threading
import time

from tests.reliability.conftest import scale
from tests.support.exactly_once import check_effects_once_everywhere
from tests.support.flow import SERVICES, Declarations, prepare


def kill_each_in_turn(platform, stop: threading.Event, kills: list, rounds: int) -> None:
    """SIGKILLs every service in turn (random order, random moments) and restarts it."""
    for _ in range(rounds):
        for service in random.sample(SERVICES, len(SERVICES)):
            if stop.wait(random.uniform(0.5, 2.0)):
                return
            platform.kill(service, signal.SIGKILL)
            kills.append(service)
            time.sleep(random.uniform(0.1, 1.0))
            platform.spawn(service, wait=True)


def test_every_acknowledged_command_takes_effect_once_everywhere_despite_kills(platform, figures):
    for service in SERVICES:
        platform.spawn(service)
    flow = prepare(platform)
    client, kills, stop = Declarations(platform, flow.batch_id), [], threading.Event()
    killer = threading.Thread(target=kill_each_in_turn, args=(platform, stop, kills, scale(1, 4)))
    killer.start()
    while killer.is_alive() or len(client.attempts) < scale(40, 400):  # commands flow through every kill
        client.declare(f"示范基地{len(client.attempts):04d}")
        time.sleep(0.02)
    stop.set()
    killer.join()
    figures["kills"] = kills
    try:
        check_effects_once_everywhere(platform, flow, client, figures)
    finally:
        flow.close()
    assert len(kills) >= len(SERVICES)
