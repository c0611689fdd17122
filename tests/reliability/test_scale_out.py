"""Scale-out on PostgreSQL, with real processes: two registry instances and two
evaluation instances (and one of each other service) share their stores and queues.
Declarations go to both registry instances in turn. The registry instance that holds
the relay's claim on the log (``SELECT … FOR UPDATE SKIP LOCKED``) is SIGKILLed while it
holds it, and so is the evaluation instance that is the active consumer of its queue;
while each is down the other instance carries on (the log goes on being published, the
queue goes on being applied). In the end every acknowledged declaration was published
and applied exactly once everywhere."""

import signal
import time

import psycopg

from tests.support.settings import settings_of
from services.backbone.eventstore.stores import postgres_dsn
from tests.reliability.conftest import scale
from tests.support.exactly_once import check_effects_once_everywhere
from tests.support.flow import ConsumerOutcomes, Declarations, call, prepare
from tests.support.platform import wait_until

REGISTRIES = ("registry", "registry#2")
EVALUATIONS = ("evaluation", "evaluation#2")


def relay_claim_holder(platform) -> str | None:
    """The registry instance whose relay holds the claim on the log right now: its
    transaction locked the position row (a transaction id) and is still open."""
    postgres = settings_of(platform.config).store.postgres
    with psycopg.connect(postgres_dsn(postgres), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT application_name FROM pg_stat_activity WHERE datname = %s AND backend_xid IS NOT NULL "
            "AND query ILIKE %s AND application_name = ANY(%s)",
            (postgres.dbname, "%outbox_relay%FOR UPDATE%", list(REGISTRIES))).fetchall()
    return rows[0][0] if rows else None


def relay_position(platform, instance) -> int:
    return call(platform, instance, "GET", "/ops/status", role="ops").json()["relay"]["scanned"]


def consumed(platform, instance) -> int:
    """How many messages of the registry this evaluation instance has handled so far."""
    status = call(platform, instance, "GET", "/ops/status", role="ops").json()
    return sum(status["consumers"]["registry"]["outcomes"].values())


def applied(platform, instance) -> int:
    """The registry's last position applied in evaluation's store, as this instance reads it."""
    return call(platform, instance, "GET", "/ops/status", role="ops").json()["consumers"]["registry"]["last_position"]


def active_consumer(platform, client: Declarations) -> str:
    """The evaluation instance consuming the registry's queue: the one whose count moves
    while declarations go on."""
    before = {instance: consumed(platform, instance) for instance in EVALUATIONS}
    for _ in range(100):
        client.declare(f"示范基地{len(client.attempts):04d}")
        moved = [instance for instance in EVALUATIONS if consumed(platform, instance) > before[instance]]
        if moved:
            return moved[0]
    raise AssertionError("no evaluation instance consumed the registry's queue")


class Outages:
    """Kills one instance, checks that the other carries on while it is down, restarts it."""

    def __init__(self, platform, outcomes: ConsumerOutcomes, figures):
        self.platform, self.outcomes, self.figures = platform, outcomes, figures

    def kill_relay_claim_holder(self, client: Declarations) -> None:
        holder = wait_until(lambda: relay_claim_holder(self.platform), timeout=20, interval=0.005,
                            message="a registry relay to hold the claim")
        self._outage(client, holder, REGISTRIES, relay_position, "holding the relay claim", "publish")

    def kill_active_consumer(self, client: Declarations) -> None:
        active = active_consumer(self.platform, client)
        self.outcomes.note(self.platform, active)
        self._outage(client, active, EVALUATIONS, applied, "as the active consumer", "consume")

    def _outage(self, client, victim: str, instances, progress, when: str, does: str) -> None:
        """SIGKILLs ``victim``; the other instance must make ``progress`` before it is back."""
        self.platform.kill(victim, signal.SIGKILL)
        survivor = next(instance for instance in instances if instance != victim)
        before = progress(self.platform, survivor)
        self._carry_on(client, lambda: progress(self.platform, survivor) > before,
                       f"{survivor} to {does} while {victim} is down")
        self.figures.setdefault("kills", []).append(f"{victim}: killed {when}")
        self.platform.spawn(victim)

    def _carry_on(self, client: Declarations, progressed, what: str) -> None:
        """Declarations go on until the survivor shows progress."""
        deadline = time.monotonic() + 30
        while not progressed():
            self.figures.expect(time.monotonic() < deadline, f"timed out waiting for {what}")
            client.declare(f"示范基地{len(client.attempts):04d}")
        self.figures.setdefault("survivors carried on", []).append(what)


def test_instances_share_the_log_and_the_queues_and_survive_each_other(pg_platform, figures):
    platform = pg_platform
    for instance in (*REGISTRIES, *EVALUATIONS, "funding", "notifications"):
        platform.spawn(instance)
    flow = prepare(platform)
    client = Declarations(platform, flow.batch_id, registries=REGISTRIES)
    outcomes = ConsumerOutcomes()
    outages = Outages(platform, outcomes, figures)
    try:
        for _ in range(scale(1, 3)):
            for _ in range(scale(20, 60)):
                client.declare(f"示范基地{len(client.attempts):04d}")
            outages.kill_relay_claim_holder(client)
            outages.kill_active_consumer(client)
        for _ in range(scale(20, 60)):
            client.declare(f"示范基地{len(client.attempts):04d}")
        figures["acknowledged by each registry instance"] = {
            instance: sum(1 for history in client.attempts.values() if history[-1].instance == instance
                          and history[-1].outcome in (201, 409)) for instance in REGISTRIES}
        figures.expect(all(figures["acknowledged by each registry instance"].values()),
                       "a registry instance acknowledged nothing")
        for instance in ("registry#2", "evaluation#2"):
            outcomes.note(platform, instance)
        check_effects_once_everywhere(platform, flow, client, figures, outcomes)
    finally:
        flow.close()
