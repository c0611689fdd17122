"""PostgreSQL connections dropped mid-transaction, and the answer to a COMMIT lost after
the server committed: each command either succeeds or fails cleanly; nothing is
half-written; a client's retry settles every case with exactly one effect. A consumer's
transaction (effects and tracking record) that loses its connection, before or after
its commit, leaves both or neither."""

import subprocess
import sys
from collections import Counter
from functools import partial
from uuid import UUID

import pytest
import requests

from services.backbone import failpoints
from services.backbone.eventstore.hash_chain import verify
from services.backbone.eventstore.parked_events import ParkedEvent
from tests.support.settings import store_env_of
from services.registry.application import RegistryApplication
from services.registry.domain import Base, DeclarationBatch
from tests.integration.conftest import open_batch
from tests.integration.test_registry_plans import Actors, put_plan
from tests.reliability.conftest import scale
from tests.support.broker import UpstreamLog
from tests.support.fixtures import batch_opened_payload, declaration
from tests.support.pgproxy import PostgresProxy
from tests.support.platform import wait_until

ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


@pytest.fixture
def registry_on_postgres(pg_platform):
    platform = pg_platform.start("registry")
    upstream = UpstreamLog(platform.config, "evaluation")
    batch_id = open_batch(platform, upstream)
    yield platform, batch_id
    failpoints.disarm_all()
    upstream.close()


@pytest.fixture
def registry_behind_proxy(pg_platform):
    """The registry reaching PostgreSQL through a proxy that can lose a COMMIT's answer;
    its relay is off, so the only COMMITs are those of commands and of its consumer."""
    postgres = pg_platform.config["store"]["postgres"]
    proxy = PostgresProxy(postgres["host"], postgres["port"])
    pg_platform.config["store"]["postgres"] = {**postgres, "port": proxy.port}
    pg_platform.config["relay"] = {**pg_platform.config["relay"], "enabled": False}
    platform = pg_platform.start("registry")
    upstream = UpstreamLog(platform.config, "evaluation")
    batch_id = open_batch(platform, upstream)
    yield platform, upstream, batch_id, proxy
    failpoints.disarm_all()
    upstream.close()
    proxy.close()


def assert_settled(platform, batch_id, names):
    """Whatever happened, the store holds each base exactly once, fully written."""
    fresh = RegistryApplication(env=store_env_of(platform.config, "registry"))
    try:
        assert verify(fresh).ok  # every record has its chain link: no half-written insert
        for name in names:
            base = fresh.get_base(Base.create_id(name, UUID(batch_id)))
            assert [type(e).__name__ for e in fresh.history(base.id)] == ["Declared"]
        fresh.views.rebuild()
        assert len(fresh.list_bases()) == len(names)
        assert fresh.views.digest() == platform.app("registry").views.digest()
    finally:
        fresh.close()


def declare(platform, batch_id, name, timeout=60):
    try:
        return requests.post(platform.url("registry", "/bases"), json=declaration(batch_id, name=name),
                             headers=platform.headers("drc"), timeout=timeout).status_code
    except requests.RequestException:
        return "no answer"


def test_a_connection_dropped_inside_the_commit_leaves_nothing_half_written(registry_on_postgres):
    platform, batch_id = registry_on_postgres
    failpoints.arm("store.before_commit", "drop-connection", times=1)
    first = declare(platform, batch_id, "山西大学")
    assert failpoints.fired("store.before_commit") == 1, "the connection was not dropped"
    # The library retries the whole transaction on a lost connection, or the client
    # gets a 503 to retry (never a 500); either way a retry settles it.
    assert first in (201, 503), first
    again = declare(platform, batch_id, "山西大学")
    assert again in ((409,) if first == 201 else (201, 409))
    assert declare(platform, batch_id, "太原理工大学") == 201
    assert_settled(platform, batch_id, ["山西大学", "太原理工大学"])


KILLER = """
import random, sys, time, psycopg
database, seconds = sys.argv[1], float(sys.argv[2])
deadline, dropped, busy = time.monotonic() + seconds, 0, 0
with psycopg.connect("%s", autocommit=True) as conn:
    while time.monotonic() < deadline:
        time.sleep(random.uniform(2.5, 4.0))
        caught = time.monotonic() + 1.0  # wait (briefly) for a backend inside a statement or transaction
        while time.monotonic() < caught and not conn.execute(
                "SELECT 1 FROM pg_stat_activity WHERE datname = %%s AND pid <> pg_backend_pid() "
                "AND state IN ('active', 'idle in transaction')", (database,)).fetchall():
            time.sleep(0.005)
        for state, terminated in conn.execute(
                "SELECT state, pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %%s AND pid <> pg_backend_pid()", (database,)).fetchall():
            dropped += bool(terminated)
            busy += bool(terminated) and state in ("active", "idle in transaction")
print(dropped, busy)
""" % ADMIN


def test_commands_while_connections_keep_dropping_succeed_or_fail_cleanly(registry_on_postgres, postgres_db, figures):
    platform, batch_id = registry_on_postgres
    seconds = scale(8, 60)
    # The killer is its own process: terminating connections at random moments, 2.5–4 s
    # apart (the pool needs about a second to replace all of its connections).
    killer = subprocess.Popen([sys.executable, "-c", KILLER, postgres_db, str(seconds)],
                              stdout=subprocess.PIPE, text=True)
    outcomes = {}
    while killer.poll() is None:
        name = f"示范基地{len(outcomes):04d}"
        outcomes[name] = declare(platform, batch_id, name)
    dropped, busy = (int(n) for n in (killer.stdout.read().split() or ["0", "0"]))
    figures.update({"commands sent": len(outcomes), "connections dropped": dropped,
                    "of them inside a statement or transaction": busy,
                    "first answers": dict(Counter(str(status) for status in outcomes.values()))})
    figures.expect(busy > 0, "no connection was dropped inside a statement or transaction")
    # a new name is never refused as already declared: its own commit is not a conflict
    figures.expect(set(outcomes.values()) <= {201, 503, "no answer"}, "an unexpected first answer")
    retries = Counter()
    for name, status in outcomes.items():  # the client retries what did not succeed
        if status != 201:
            retries[str(retried := declare(platform, batch_id, name))] += 1
            figures.expect(retried in (201, 409), f"{name}: the retry got {retried}")
    figures["answers to the retries"] = dict(retries)
    assert_settled(platform, batch_id, list(outcomes))


def test_a_command_whose_commit_answer_is_lost_takes_effect_once_and_its_client_is_told_so(registry_behind_proxy):
    platform, _, batch_id, proxy = registry_behind_proxy
    applicant = Actors(platform).applicant()
    body = declaration(batch_id)
    post = partial(requests.post, platform.url("registry", "/bases"), json=body, headers=applicant, timeout=60)
    proxy.lose_commit_replies(1)
    first = post()
    assert proxy.lost == 1, "no COMMIT answer was lost"
    # The server committed; its client heard nothing of it. It is told so (201), or to
    # retry (503), never that its own declaration conflicts with itself (409).
    assert first.status_code in (201, 503), first.text
    assert post().status_code == 409  # a retry: the first attempt did it
    base_id = Base.create_id(body["name"], UUID(batch_id))
    proxy.lose_commit_replies(1)  # a command on an existing aggregate: it must not run twice
    drafted = put_plan(platform, base_id, applicant)
    assert proxy.lost == 2, "no COMMIT answer was lost"
    assert drafted.status_code in (200, 503), drafted.text
    fresh = RegistryApplication(env=store_env_of(platform.config, "registry"))
    try:
        assert [type(e).__name__ for e in fresh.history(base_id)] == ["Declared", "PlanDrafted", "PlanSubmitted"]
    finally:
        fresh.close()


def test_a_lost_commit_answer_is_recognised_when_the_question_after_it_meets_a_dead_connection(registry_behind_proxy):
    platform, _, batch_id, proxy = registry_behind_proxy
    assert declare(platform, batch_id, "山西大学") == 201  # start-up's own writes are done
    proxy.lose_commit_replies(1, and_the_next_query=True)
    first = declare(platform, batch_id, "太原理工大学")
    assert proxy.lost == 1, "no COMMIT answer was lost"
    assert proxy.dropped_after == 1, "the question after it met no dropped connection"
    # The statement after the lost answer meets a dead connection; the next attempt, on
    # a live one, collides with the commit, and asks: 201, not a conflict with itself.
    assert first == 201, first
    assert_settled(platform, batch_id, ["山西大学", "太原理工大学"])


@pytest.mark.parametrize("drop", ["before", "after"])
def test_a_consumer_that_loses_its_connection_keeps_effects_and_tracking_together(registry_behind_proxy, drop):
    platform, upstream, _, proxy = registry_behind_proxy
    if drop == "before":
        failpoints.arm("store.before_commit", "drop-connection", times=1)
    else:
        proxy.lose_commit_replies(1)
    batches = [upstream.emit("BatchOpened", batch_opened_payload(name=f"2018年第{n}批"))["payload"]["batch_id"]
               for n in range(1, 4)]
    app = platform.app("registry")
    wait_until(lambda: app.last_position("evaluation") >= upstream.position, timeout=30,
               message="the registry to apply every batch")
    assert (failpoints.fired("store.before_commit") if drop == "before" else proxy.lost) == 1, "nothing was dropped"
    fresh = RegistryApplication(env=store_env_of(platform.config, "registry"))
    try:
        assert verify(fresh).ok
        assert fresh.last_position("evaluation") == upstream.position
        for batch_id in batches:  # each effect once, and tracked
            assert [type(e).__name__ for e in fresh.history(UUID(batch_id))] == ["Opened"]
        assert not [e for _, e in fresh.all_events() if isinstance(e, ParkedEvent.Event)]
        assert len([e for _, e in fresh.all_events() if isinstance(e, DeclarationBatch.Opened)]) == 4
    finally:
        fresh.close()
