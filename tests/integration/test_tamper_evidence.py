"""The hash-chained log: verify finds nothing wrong in an honest log, and names the
position of an edited, deleted, inserted or reordered record, in SQLite and PostgreSQL;
a log rewritten links and all is caught by an anchor recorded outside the store."""

import sqlite3
from decimal import Decimal
from uuid import uuid4

import psycopg
import pytest

from services.backbone.eventstore.hash_chain import GENESIS, Anchor, link_hash, verify
from services.backbone.kernel.context import Actor
from tests.support.settings import store_env_of
from services.registry.application import RegistryApplication
from services.registry.domain import DeclarationBatch
from tests.support.fixtures import declaration

DRC = Actor(id=uuid4(), role="drc", name="省发展改革委")


def filled_log(config) -> RegistryApplication:
    """A registry log of a batch and three declarations (positions 1..7: the batch, then
    each declaration's unit and base)."""
    from datetime import datetime, timedelta, timezone

    app = RegistryApplication(env=store_env_of(config, "registry"))
    now = datetime.now(timezone.utc)
    batch = DeclarationBatch(batch_id=uuid4(), name="2017年第一批", opens_at=now - timedelta(days=1),
                             closes_at=now + timedelta(days=1), quota=12, ctx=DRC.context())
    app.save(batch)
    for name in ("山西大学", "太原理工大学", "孝义市"):
        request = declaration(batch.id, name=name)
        request["batch_id"] = batch.id
        app.declare(**request, actor=DRC, ctx=DRC.context())
    return app


def plaintext(config: dict) -> dict:
    """Stores kept in plain JSON, so that an edit of a snapshot changes what it says, as
    one by whoever holds the key would (without it, an edited record no longer
    decrypts); the chain is over the stored bytes either way."""
    config["store"]["encrypted_services"] = []
    return config


def relinked(rows):
    previous, links = GENESIS, []
    for position, originator_id, version, topic, state in rows:
        previous = link_hash(previous, position, originator_id, version, topic, state)
        links.append((position, previous))
    return links


class SQLiteRows:
    def __init__(self, config):
        self.path = store_env_of(config, "registry")["SQLITE_DBNAME"]

    def run(self, statement, params=()):
        with sqlite3.connect(self.path) as conn:
            conn.execute(statement, params)

    def edit(self, position):
        self.run("UPDATE stored_events SET state = CAST(state || x'00' AS BLOB) WHERE rowid = ?", (position,))

    def delete(self, position):
        self.run("DELETE FROM stored_events WHERE rowid = ?", (position,))

    def swap(self, a, b):
        with sqlite3.connect(self.path) as conn:
            row_a = conn.execute("SELECT originator_id, originator_version, topic, state FROM stored_events WHERE rowid=?", (a,)).fetchone()
            row_b = conn.execute("SELECT originator_id, originator_version, topic, state FROM stored_events WHERE rowid=?", (b,)).fetchone()
            conn.execute("DELETE FROM stored_events WHERE rowid IN (?, ?)", (a, b))
            conn.execute("INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?, ?)", (a, *row_b))
            conn.execute("INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?, ?)", (b, *row_a))

    def rechain(self):
        """What someone who knows the algorithm does after an edit: every link again."""
        with sqlite3.connect(self.path) as conn:
            rows = conn.execute("SELECT rowid, originator_id, originator_version, topic, state "
                                "FROM stored_events ORDER BY rowid").fetchall()
            for position, link in relinked(rows):
                conn.execute("UPDATE log_chain SET hash = ? WHERE position = ?", (link, position))

    def insert_forged(self):
        with sqlite3.connect(self.path) as conn:
            row = conn.execute("SELECT originator_id, topic, state FROM stored_events WHERE rowid = 2").fetchone()
            conn.execute("INSERT INTO stored_events (originator_id, originator_version, topic, state) "
                         "VALUES (?, 99, ?, ?)", row)
            return conn.execute("SELECT max(rowid) FROM stored_events").fetchone()[0]


class PostgresRows:
    def __init__(self, config):
        pg = config["store"]["postgres"]
        self.dsn = f"host={pg['host']} port={pg['port']} user={pg['user']} dbname={pg['dbname']}"

    def run(self, statement, params=()):
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(statement, params)

    def edit(self, position):
        self.run("UPDATE registry.registry_events SET state = state || '\\x00'::bytea "
                 "WHERE notification_id = %s", (position,))

    def delete(self, position):
        self.run("DELETE FROM registry.registry_events WHERE notification_id = %s", (position,))

    def swap(self, a, b):
        self.run("UPDATE registry.registry_events SET notification_id = -1 WHERE notification_id = %s", (a,))
        self.run("UPDATE registry.registry_events SET notification_id = %s WHERE notification_id = %s", (a, b))
        self.run("UPDATE registry.registry_events SET notification_id = %s WHERE notification_id = -1", (b,))

    def rechain(self):
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            rows = conn.execute("SELECT notification_id, originator_id, originator_version, topic, state "
                                "FROM registry.registry_events ORDER BY notification_id").fetchall()
            for position, link in relinked(rows):
                conn.execute("UPDATE registry.log_chain SET hash = %s WHERE position = %s", (link, position))

    def insert_forged(self):
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute("INSERT INTO registry.registry_events (originator_id, originator_version, topic, state) "
                         "SELECT originator_id, 99, topic, state FROM registry.registry_events WHERE notification_id = 2")
            return conn.execute("SELECT max(notification_id) FROM registry.registry_events").fetchone()[0]


@pytest.fixture(params=["sqlite", "postgres"])
def log_and_rows(request, tmp_path):
    from tests.support.platform import store_config

    config = store_config(request, tmp_path)
    rows = SQLiteRows(config) if request.param == "sqlite" else PostgresRows(config)
    app = filled_log(config)
    yield app, rows
    app.close()


def test_an_honest_log_verifies(log_and_rows):
    app, _ = log_and_rows
    result = verify(app)
    assert result.ok and result.checked == 7 and result.first_broken_position is None


def test_an_edited_record_is_named(log_and_rows):
    app, rows = log_and_rows
    rows.edit(3)
    result = verify(app)
    assert not result.ok
    assert result.first_broken_position == 3
    assert "edited" in result.problem
    assert result.broken_links == 1


def test_a_deleted_record_is_named(log_and_rows):
    app, rows = log_and_rows
    rows.delete(2)
    result = verify(app)
    assert (result.first_broken_position, result.broken_links) == (2, 1)
    assert "deleted" in result.problem


def test_reordered_records_are_named(log_and_rows):
    app, rows = log_and_rows
    rows.swap(2, 4)
    result = verify(app)
    assert result.first_broken_position == 2
    assert result.broken_links == 2


def test_a_record_inserted_behind_the_platforms_back_is_named(log_and_rows):
    app, rows = log_and_rows
    position = rows.insert_forged()
    result = verify(app)
    assert result.first_broken_position == position
    assert "no chain link" in result.problem


def test_a_log_rewritten_links_and_all_is_caught_by_an_earlier_anchor(log_and_rows):
    app, rows = log_and_rows
    honest = verify(app)
    anchor = Anchor(honest.head_position, honest.head_hash)
    assert verify(app, anchors=[anchor]).anchors_checked == 1

    rows.edit(2)
    rows.rechain()
    assert verify(app).ok, "links and all rewritten: the chain alone cannot tell"
    result = verify(app, anchors=[anchor])
    assert not result.ok
    assert (result.first_broken_position, result.anchors_checked) == (honest.head_position, 1)
    assert "rewritten" in result.problem


def test_an_anchor_past_the_end_of_the_log_is_named(log_and_rows):
    app, rows = log_and_rows
    result = verify(app, anchors=[Anchor(9, "0" * 64)])
    assert (result.ok, result.first_broken_position) == (False, 9)
    assert "ends before" in result.problem


# -- snapshots: funding snapshots budget envelopes every 50 events -------------------------


class SnapshotRows:
    """The funding store's snapshot table, edited behind the platform's back."""

    def __init__(self, app, config):
        self.table = app.snapshots.recorder.events_table_name
        self.backend = config["store"]["backend"]
        if self.backend == "sqlite":
            self.path = store_env_of(config, "funding")["SQLITE_DBNAME"]
        else:
            self.dsn = PostgresRows(config).dsn

    def run(self, sqlite_statement, postgres_statement, params):
        if self.backend == "sqlite":
            with sqlite3.connect(self.path) as conn:
                return conn.execute(sqlite_statement, params).rowcount
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            return conn.execute(postgres_statement, params).rowcount

    def edit(self, version, old, new):
        """Replaces ``old`` by ``new`` in the snapshot at ``version``; how many rows it
        really changed (0 where ``old`` is not in the state)."""
        return self.run(
            f"UPDATE {self.table} SET state = CAST(replace(CAST(state AS TEXT), ?, ?) AS BLOB) "
            "WHERE originator_version = ? AND instr(CAST(state AS TEXT), ?) > 0",
            f"UPDATE funding.{self.table} SET state = convert_to(replace(convert_from(state, 'UTF8'), "
            "%s, %s), 'UTF8') WHERE originator_version = %s "
            "AND position(%s in convert_from(state, 'UTF8')) > 0", (old, new, version, old))

    def copy(self, version, to_version):
        return self.run(
            f"INSERT INTO {self.table} (originator_id, originator_version, topic, state) "
            f"SELECT originator_id, ?, topic, state FROM {self.table} WHERE originator_version = ?",
            f"INSERT INTO funding.{self.table} (originator_id, originator_version, topic, state) "
            f"SELECT originator_id, %s, topic, state FROM funding.{self.table} WHERE originator_version = %s",
            (to_version, version))


@pytest.fixture(params=["sqlite", "postgres"])
def funding_with_snapshots(request, tmp_path):
    from bench.snapshots import envelope_with_history
    from services.funding.application import FundingApplication
    from tests.support.platform import store_config

    config = plaintext(store_config(request, tmp_path))
    app = FundingApplication(env=store_env_of(config, "funding"))
    envelope_id = envelope_with_history(app, 120)  # snapshots at versions 50 and 100
    yield app, envelope_id, SnapshotRows(app, config)
    app.close()


def test_snapshots_that_are_the_fold_of_their_events_verify(funding_with_snapshots):
    app, _, _ = funding_with_snapshots
    result = verify(app)
    assert result.ok and (result.snapshots_checked, result.bad_snapshots) == (2, 0)
    assert result.first_bad_snapshot is None


def test_an_edited_snapshot_is_named_apart_from_the_intact_chain(funding_with_snapshots):
    app, envelope_id, rows = funding_with_snapshots
    assert rows.edit(100, "80000.00", "9.00") == 1  # 80 allocations of 1000.00 by then
    # Loading starts from the latest snapshot: 9.00 and the 16 allocations after it, not
    # 96,000.00 (in a process that loads it afresh, as after a restart; the running one
    # goes on from the copy in its aggregate cache).
    restarted = type(app)(env=app.env)
    try:
        assert restarted.repository.get(envelope_id).allocated == Decimal("16009.00")
    finally:
        restarted.close()
    result = verify(app)
    assert not result.ok
    assert (result.first_broken_position, result.broken_links) == (None, 0), "the log is intact"
    assert result.first_bad_snapshot["aggregate_id"] == str(envelope_id)
    assert result.first_bad_snapshot["version"] == 100
    assert "edited" in result.first_bad_snapshot["problem"]
    assert (result.snapshots_checked, result.bad_snapshots) == (2, 1)


def test_a_snapshot_written_past_the_aggregates_events_is_named(funding_with_snapshots):
    app, _, rows = funding_with_snapshots
    assert rows.copy(100, 500) == 1
    result = verify(app)
    assert not result.ok and result.first_bad_snapshot["version"] == 500
    assert "no event at that version" in result.first_bad_snapshot["problem"]
