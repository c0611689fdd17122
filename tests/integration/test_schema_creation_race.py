"""A first start on a fresh PostgreSQL database: a service's consumers create their side
tables (crash guard, relay position) at the same moment, and instances of one service
create the log's tables at the same moment. ``CREATE TABLE IF NOT EXISTS`` run at once
by several connections can lose in the catalogue (``type ... already exists``, or a
unique violation on pg_type); every creator must succeed, however they race."""

import threading

import pytest
from eventsourcing.application import Application

from services.backbone.eventstore.stores import open_application, side_table
from services.registry.application import RegistryApplication
from tests.support.platform import store_config
from tests.support.settings import settings_of, store_env_of

CREATORS = 4


@pytest.fixture(params=["postgres"])
def fresh_database(request, tmp_path):
    """A config whose stores are in a database made for the test."""
    return store_config(request, tmp_path)


def at_once(create, creators: int) -> list[str]:
    """Runs ``create()`` in ``creators`` threads released together; their errors."""
    start, failures = threading.Barrier(creators, timeout=20), []

    def run():
        start.wait()
        try:
            create()
        except Exception as error:  # noqa: BLE001 (losing the race is what is counted)
            failures.append(repr(error)[:200])

    threads = [threading.Thread(target=run) for _ in range(creators)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


def test_a_side_table_created_by_several_connections_at_once_is_created_without_error(fresh_database):
    apps = [Application(env=store_env_of(fresh_database, "funding")) for _ in range(CREATORS)]
    rounds, failures = 150, []  # a lost race is rare: about one creation in a hundred
    try:
        for number in range(rounds):
            connections = iter(apps)
            failures += at_once(lambda: side_table(next(connections), f"guard_{number}",
                                                   "source TEXT PRIMARY KEY, position BIGINT NOT NULL"),
                                CREATORS)
    finally:
        for app in apps:
            app.close()
    assert not failures, f"{len(failures)} of {rounds * CREATORS} creations failed: {failures[:3]}"


def test_instances_of_a_service_starting_together_on_a_fresh_database_all_start(fresh_database):
    rounds, failures = 8, []
    for number in range(rounds):
        apps = []
        failures += at_once(lambda: apps.append(open_application(
            RegistryApplication, settings_of(fresh_database).store, f"registry_{number}")), 3)
        for app in apps:
            app.close()
    assert not failures, f"{len(failures)} of {rounds * 3} starts failed: {failures[:3]}"
