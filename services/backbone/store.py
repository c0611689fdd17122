"""Where each service keeps its log: an embedded SQLite file, or a PostgreSQL schema.

The backend is a configuration choice only (``store.backend``); the application code is
the same. Each service owns its store: its own SQLite file, or its own schema in the
database, so no service reads another's tables.
"""

from typing import Any

import psycopg
from eventsourcing.postgres import PostgresRecorder

from .chain import RECORDER_TOPICS
from .config import resolve_path


def store_env(config: dict[str, Any], service: str) -> dict[str, str]:
    """The eventsourcing environment for ``service`` under ``config``."""
    store = config["store"]
    backend = store["backend"]
    if backend == "sqlite":
        directory = resolve_path(store["sqlite_dir"])
        directory.mkdir(parents=True, exist_ok=True)
        return {
            "PERSISTENCE_MODULE": "services.backbone.green_sqlite:GreenCommitFactory",
            "SQLITE_DBNAME": str(directory / f"{service}.sqlite3"),
            "SQLITE_LOCK_TIMEOUT": "10",
            "PROCESS_RECORDER_TOPIC": RECORDER_TOPICS["sqlite"],
        }
    if backend == "postgres":
        pg = store["postgres"]
        ensure_postgres_schema(pg, service)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": str(pg["dbname"]),
            "POSTGRES_HOST": str(pg["host"]),
            "POSTGRES_PORT": str(pg["port"]),
            "POSTGRES_USER": str(pg["user"]),
            "POSTGRES_PASSWORD": str(pg.get("password") or ""),
            "POSTGRES_SCHEMA": service,
            "POSTGRES_POOL_SIZE": str(pg.get("pool_size", 5)),
            "POSTGRES_MAX_OVERFLOW": "10",
            "POSTGRES_CONNECT_TIMEOUT": "5",
            "POSTGRES_LOCK_TIMEOUT": "10",
            # No pre-ping: a dead connection fails its statement and the library retries on
            # a fresh one (about 0.2 s per dead connection, where pinging took seconds).
            "POSTGRES_PRE_PING": "n",
            "PROCESS_RECORDER_TOPIC": RECORDER_TOPICS["postgres"],
        }
    raise ValueError(f"store.backend must be sqlite or postgres, not {backend!r}")


def postgres_dsn(pg: dict[str, Any], dbname: str | None = None) -> str:
    return psycopg.conninfo.make_conninfo(
        host=pg["host"], port=pg["port"], user=pg["user"],
        password=pg.get("password") or "", dbname=dbname or pg["dbname"], connect_timeout=5,
    )


def ensure_postgres_schema(pg: dict[str, Any], schema: str) -> None:
    """Creates the database (if this user may) and the service's schema when missing."""
    try:
        with psycopg.connect(postgres_dsn(pg), autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            return
    except psycopg.OperationalError as error:
        if "does not exist" not in str(error):
            raise
    with psycopg.connect(postgres_dsn(pg, "postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{pg["dbname"]}"')
    with psycopg.connect(postgres_dsn(pg), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')


def is_postgres(app) -> bool:
    return isinstance(app.recorder, PostgresRecorder)
