"""SQLite for a service process: the commit waits for the disk off the eventlet hub.

A service is one eventlet hub, and a commit's fsync held every green thread with it
(docs/benchmark-rounds.md, round 2). Here the commit runs in eventlet's thread pool;
the caller still resumes only after it has returned, so durability is unchanged.
Outside eventlet (the CLI's tools, plain scripts) the commit is the library's own.
"""

from eventlet import patcher, tpool
from eventsourcing.sqlite import SQLiteConnection, SQLiteConnectionPool, SQLiteFactory


# Overrides SQLiteConnection.commit and SQLiteConnectionPool._create_connection and
# replaces SQLiteFactory's pool: kept for round 2; pinned in tests/unit/test_library_internals.py.


class GreenCommitConnection(SQLiteConnection):
    def commit(self) -> None:
        if patcher.is_monkey_patched("thread"):
            tpool.execute(self._sqlite_conn.commit)
        else:
            super().commit()


class GreenCommitPool(SQLiteConnectionPool):
    def _create_connection(self) -> GreenCommitConnection:
        # The library's connection, set up as it sets it up (WAL, row factory), with
        # only the commit changed.
        plain = super()._create_connection()
        return GreenCommitConnection(sqlite_conn=plain._sqlite_conn, max_age=self.max_age)


class GreenCommitFactory(SQLiteFactory):
    """``PERSISTENCE_MODULE`` for a service's SQLite store (see ``store_env``)."""

    def __init__(self, env):
        super().__init__(env)
        pool = self.datastore.pool
        # Waiting for a connection is bounded like waiting for SQLite's write lock
        # (``store.lock_timeout_seconds``): either way the caller gets a clean 503.
        self.datastore.pool = GreenCommitPool(db_name=pool.db_name, lock_timeout=pool.lock_timeout,
                                              pool_timeout=float(pool.lock_timeout or pool.pool_timeout))
        pool.close()
