"""PostgreSQL connections dropped mid-transaction: each command either succeeds or
fails cleanly; nothing is half-written; a client's retry settles every case."""

import subprocess
import sys
from uuid import UUID

import pytest
import requests

from services.backbone import failpoints
from services.backbone.chain import verify
from services.backbone.store import store_env
from services.registry.application import RegistryApplication
from services.registry.domain import Base
from tests.integration.conftest import open_batch
from tests.reliability.conftest import scale
from tests.support.broker import UpstreamLog
from tests.support.fixtures import declaration

ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


@pytest.fixture
def registry_on_postgres(pg_platform):
    platform = pg_platform.start("registry")
    upstream = UpstreamLog(platform.config, "evaluation")
    batch_id = open_batch(platform, upstream)
    yield platform, batch_id
    failpoints.disarm_all()
    upstream.close()


def assert_settled(platform, batch_id, names):
    """Whatever happened, the store holds each base exactly once, fully written."""
    fresh = RegistryApplication(env=store_env(platform.config, "registry"))
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
deadline, dropped = time.monotonic() + seconds, 0
with psycopg.connect("%s", autocommit=True) as conn:
    while time.monotonic() < deadline:
        time.sleep(random.uniform(2.5, 4.0))
        dropped += len(conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                    "WHERE datname = %%s AND pid <> pg_backend_pid()", (database,)).fetchall())
print(dropped)
""" % ADMIN


def test_commands_while_connections_keep_dropping_succeed_or_fail_cleanly(registry_on_postgres, postgres_db):
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
    dropped = int(killer.stdout.read().strip() or 0)
    assert dropped > 0, "no connection was dropped"
    assert set(outcomes.values()) <= {201, 409, 503, "no answer"}, outcomes
    for name, status in outcomes.items():  # the client retries what did not succeed
        if status != 201:
            assert declare(platform, batch_id, name) in (201, 409)
    print(f"\n{len(outcomes)} commands, {dropped} connections dropped, outcomes: "
          f"{ {s: list(outcomes.values()).count(s) for s in set(outcomes.values())} }")
    assert_settled(platform, batch_id, list(outcomes))
