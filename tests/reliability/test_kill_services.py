"""Every service SIGKILLed in turn while declarations flow, at random moments and at the
moments that matter most, then restarted: in the end every declaration acknowledged to
its client has taken effect exactly once in every service (registry, evaluation,
funding, notifications: inbox and webhook), nothing was parked or dead-lettered, every
notification was delivered, and every service's read models equal a rebuild from its
log. On SQLite and on PostgreSQL (the quick run takes one of them a day).

The moments that matter: a restarted process is often armed with a failpoint that kills
it at its Nth hit (N at random), between a consumer's commit and its ack (the broker
redelivers what was applied: the consumer must skip it) or between the registry's commit
and its HTTP answer (the client retries what was done: it must get 409 and nothing twice).

The client behaves as a real one: a request that fails (service down, connection cut)
is retried until it is acknowledged, 201 (declared) or 409 (already declared) after an
attempt that got no answer.
"""

import random
import signal
import threading
import time
from collections import Counter

import pytest

from tests.reliability.conftest import FULL, scale
from tests.support.exactly_once import check_effects_once_everywhere
from tests.support.flow import SERVICES, ConsumerOutcomes, Declarations, prepare

FAILPOINTS = {"registry": "http.after_commit", "evaluation": "consumer.after_commit",
              "funding": "consumer.after_commit", "notifications": "consumer.after_commit"}


class Killer(threading.Thread):
    """SIGKILLs every service in turn (random order, random moments) and restarts it,
    some of them armed with its failpoint; restarts at once a process that died at its
    failpoint. Finally kills, and restarts unarmed, any process whose failpoint has not
    fired. Restarts do not wait for the service to answer: the next kill may come while
    it is still starting."""

    def __init__(self, platform, rounds: int):
        super().__init__(daemon=True)
        self.platform = platform
        self.rounds = rounds
        self.stopping = threading.Event()
        self.kills: list[str] = []
        self.armed: dict[str, str] = {}
        self.outcomes = ConsumerOutcomes()
        self.error: BaseException | None = None

    def run(self):
        try:
            # the first round arms the registry's failpoint and one consumer's, later ones any at random
            first = {"registry", random.choice(SERVICES[1:])}
            for round_ in range(self.rounds):
                for service in random.sample(SERVICES, len(SERVICES)):
                    if self._pause(random.uniform(0.5, 2.0)):
                        return
                    self._kill(service, "SIGKILL at a random moment")
                    time.sleep(random.uniform(0.1, 1.0))
                    self._restart(service, arm=service in first if round_ == 0 else random.random() < 0.5)
            deadline = time.monotonic() + 15
            while self.armed and time.monotonic() < deadline and not self._pause(0.5):
                pass
            for service in list(self.armed):  # never reached: the flow goes on without it
                self._kill(service, "SIGKILL at a random moment (its failpoint never fired)")
                self._restart(service, arm=False)
        except BaseException as error:  # the test asserts on it
            self.error = error

    def _pause(self, seconds: float) -> bool:
        """Waits, restarting any process that died at its failpoint; True when stopping."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for service, failpoint in list(self.armed.items()):
                if self.platform.processes[service].poll() is not None:
                    self.platform.processes.pop(service).wait()
                    del self.armed[service]
                    self.kills.append(f"{service} at {failpoint}")
                    self._restart(service, arm=False)
            if self.stopping.wait(0.05):
                return True
        return False

    def _kill(self, service: str, how: str) -> None:
        self.outcomes.note(self.platform, service)
        self.platform.kill(service, signal.SIGKILL)
        self.armed.pop(service, None)
        self.kills.append(f"{service}: {how}")

    def _restart(self, service: str, arm: bool) -> None:
        env = {}
        if arm:
            self.armed[service] = FAILPOINTS[service]
            env["SC_FAILPOINTS"] = f"{FAILPOINTS[service]}=kill@{random.randint(1, 8)}"
        self.platform.spawn(service, env=env, wait=False)


def failpoint_kills_in_logs(platform) -> Counter:
    """Where processes died by their own failpoint, as their logs say."""
    return Counter({f"{service} at {failpoint}": platform.log(service, tail=None).count(f"failpoint {failpoint}: kill")
                    for service, failpoint in FAILPOINTS.items()})


@pytest.mark.parametrize("backend", ("sqlite", "postgres"))  # about 25 s each, quick
def test_every_acknowledged_command_takes_effect_once_everywhere_despite_kills(request, backend, figures):
    platform = request.getfixturevalue("platform" if backend == "sqlite" else "pg_platform")
    for service in SERVICES:
        platform.spawn(service)
    flow = prepare(platform)
    client = Declarations(platform, flow.batch_id)
    killer = Killer(platform, scale(1, 4))
    killer.start()
    try:
        while killer.is_alive() or len(client.attempts) < scale(40, 400):  # commands flow through every kill
            client.declare(f"示范基地{len(client.attempts):04d}")
            time.sleep(0.02)
        killer.join()
        for service in SERVICES:
            platform.wait_http(service, platform.processes[service])
        figures["kills"] = dict(Counter(killer.kills))
        figures["failpoints that fired (from the logs)"] = +failpoint_kills_in_logs(platform)
        figures.expect(killer.error is None, f"the killer failed: {killer.error!r}")
        check_effects_once_everywhere(platform, flow, client, figures, killer.outcomes)
    finally:
        killer.stopping.set()
        flow.close()
    figures.expect(len(killer.kills) >= len(SERVICES), "fewer kills than services")
    if FULL:  # long enough that the critical moments are certain to have been hit
        figures.expect(figures["duplicates skipped by consumers"] > 0, "no redelivery reached a consumer")
        figures.expect(figures["committed without their client getting an answer (409 after a lost answer)"] > 0,
                       "no command committed without its client getting the answer")
