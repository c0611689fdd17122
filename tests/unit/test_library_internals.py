"""What our overrides rely on inside the eventsourcing library (9.5.6): an upgrade that
changes one of these fails here, naming the override, rather than in production."""

import inspect

import pytest
from eventsourcing.application import Application, ProcessingEvent, Repository, project_aggregate
from eventsourcing.domain import BaseAggregate
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore, PostgresProcessRecorder
from eventsourcing.projection import EventSourcedProjection
from eventsourcing.sqlite import (SQLiteConnection, SQLiteConnectionPool, SQLiteDatastore, SQLiteFactory,
                                  SQLiteProcessRecorder)

# (our override, the library's class, the member it relies on, the parameters it passes)
SIGNATURES = [
    ("ServiceApplication._commit", Application, "_record", ("processing_event",)),
    ("ServiceApplication._commit", Application, "_take_snapshots", ("processing_event",)),
    ("ServiceApplication._notify", Application, "_notify", ("recordings",)),
    ("ServiceApplication.process_event", EventSourcedProjection, "process_event", ("domain_event", "tracking")),
    ("ServiceApplication.construct_repository", Application, "construct_repository", ()),
    ("Processing.collect_events", ProcessingEvent, "collect_events", ("objs", "kwargs")),
    ("Processing.collect_events", BaseAggregate, "collect_events", ()),
    ("Processing", ProcessingEvent, "__init__", ("tracking",)),
    ("project_in_order", Repository, "get", ("aggregate_id", "version", "projector_func")),
    ("project_in_order", project_aggregate, "__call__", ("aggregate", "domain_events")),
    ("RunAwareRepository.get", Repository, "get", ("aggregate_id", "version", "projector_func")),
    ("green_sqlite.GreenCommitConnection", SQLiteConnection, "__init__", ("sqlite_conn", "max_age")),
    ("green_sqlite.GreenCommitConnection.commit", SQLiteConnection, "commit", ()),
    ("green_sqlite.GreenCommitPool._create_connection", SQLiteConnectionPool, "_create_connection", ()),
    ("green_sqlite.GreenCommitFactory", SQLiteConnectionPool, "__init__",
     ("db_name", "lock_timeout", "pool_timeout")),
    ("green_sqlite.GreenCommitFactory", SQLiteFactory, "__init__", ("env",)),
    ("hash_chain.ChainedSQLiteRecorder._insert_events", SQLiteProcessRecorder, "_insert_events",
     ("c", "stored_events", "kwargs")),
    ("hash_chain.ChainedSQLiteRecorder", SQLiteProcessRecorder, "construct_create_table_statements", ()),
    ("hash_chain.ChainedPostgresRecorder._fetch_ids_after_insert_events", PostgresProcessRecorder,
     "_fetch_ids_after_insert_events", ("curs", "stored_events")),
    ("hash_chain.ChainedPostgresRecorder.insert_events", PostgresApplicationRecorder, "insert_events",
     ("stored_events", "kwargs")),
    ("CrashGuard and stores.side_table", SQLiteDatastore, "transaction", ("commit",)),
    ("CrashGuard and stores.side_table", PostgresDatastore, "transaction", ("commit",)),
]


@pytest.mark.parametrize("override, owner, member, parameters", SIGNATURES,
                         ids=[f"{o}->{getattr(c, '__name__', c)}.{m}" for o, c, m, _ in SIGNATURES])
def test_what_an_override_calls_or_replaces_is_still_there(override, owner, member, parameters):
    found = owner if member == "__call__" else getattr(owner, member, None)
    where = f"{getattr(owner, '__qualname__', owner)}.{member}"
    assert found is not None, f"{override} relies on {where}, which this eventsourcing no longer has"
    names = set(inspect.signature(found).parameters)
    missing = [name for name in parameters if name not in names]
    assert not missing, f"{override} relies on {where} taking {missing}; it takes {sorted(names)}"


def test_a_processing_event_keeps_what_processing_fills_and_record_reads():
    processing = ProcessingEvent()
    for attribute, kind in (("events", list), ("aggregates", dict), ("saved_kwargs", dict)):
        assert isinstance(getattr(processing, attribute, None), kind), \
            f"Processing.collect_events fills ProcessingEvent.{attribute} ({kind.__name__}), gone or changed"
    assert hasattr(processing, "tracking"), "ServiceApplication.receive_run sets ProcessingEvent.tracking"
    record = inspect.getsource(Application._record)
    for used in ("processing_event.events", "processing_event.tracking", "processing_event.aggregates"):
        assert used in record, f"Processing relies on Application._record reading {used}"


def test_the_repository_has_what_run_aware_repository_reads_and_passes_on():
    repository = Application(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}).repository
    for attribute in ("event_store", "cache", "fastforward"):  # the last two read by _record
        assert hasattr(repository, attribute), f"RunAwareRepository relies on Repository.{attribute}"
    select = repository.event_store.recorder.select_events
    assert "limit" in inspect.signature(select).parameters, \
        "RunAwareRepository.__contains__ relies on recorder.select_events(originator_id, limit=)"
    assert "self.repository" in inspect.getsource(Application._record), \
        "RunAwareRepository relies on Application._record reading the repository it constructs"


def test_the_sqlite_pool_has_what_green_sqlite_rebuilds_it_from(tmp_path):
    factory = SQLiteFactory({"SQLITE_DBNAME": str(tmp_path / "pinned.db")})
    pool = getattr(factory.datastore, "pool", None)
    assert isinstance(pool, SQLiteConnectionPool), "green_sqlite.GreenCommitFactory replaces datastore.pool"
    for attribute in ("db_name", "lock_timeout", "pool_timeout", "max_age"):
        assert hasattr(pool, attribute), f"green_sqlite.GreenCommitFactory reads SQLiteConnectionPool.{attribute}"
    connection = pool._create_connection()
    assert hasattr(connection, "_sqlite_conn"), \
        "green_sqlite.GreenCommitConnection commits SQLiteConnection._sqlite_conn"
    connection.close()
    pool.close()


def test_postgres_insert_events_can_be_called_without_its_retries():
    assert hasattr(PostgresApplicationRecorder.insert_events, "__wrapped__"), \
        "hash_chain.ChainedPostgresRecorder.insert_events calls insert_events.__wrapped__ (no retries)"
    assert "sql_create_statements" in inspect.getsource(PostgresApplicationRecorder.__init__), \
        "hash_chain.ChainedPostgresRecorder appends to sql_create_statements"


def test_the_queue_consumer_loop_takes_the_interval_our_prompt_consumers_shorten():
    from kombu.mixins import ConsumerMixin
    from nameko.messaging import QueueConsumer
    from nameko.rpc import RpcConsumer

    assert "safety_interval" in inspect.signature(ConsumerMixin.consume).parameters, \
        "PromptQueueConsumer.consume relies on kombu's ConsumerMixin.consume(safety_interval=)"
    assert issubclass(QueueConsumer, ConsumerMixin), "PromptQueueConsumer relies on nameko's QueueConsumer"
    assert "queue_consumer" in vars(RpcConsumer), "PromptRpcConsumer replaces RpcConsumer.queue_consumer"
