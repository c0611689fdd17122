"""Where each service keeps its log: an embedded SQLite file, or a PostgreSQL schema.

The backend is a configuration choice only (``store.backend``); the application code is
the same. Each service owns its store: its own SQLite file, or its own schema in the
database, so no service reads another's tables.
"""

import hashlib
import os
import stat
from base64 import b64encode
from contextlib import contextmanager
from pathlib import Path

import psycopg
from eventsourcing.cryptography import AESCipher
from eventsourcing.postgres import PostgresRecorder

from services.backbone.eventstore.hash_chain import RECORDER_TOPICS
from services.backbone.config import resolve_path
from services.backbone.settings import PostgresSettings, StoreSettings


def open_application(application_class: type, store: StoreSettings, service: str):
    """``application_class`` on ``service``'s store, its tables created if missing. On
    PostgreSQL, instances of one service starting together take turns creating them:
    the library's ``CREATE TABLE IF NOT EXISTS`` run at once fails on the catalogue."""
    env = store_env(store, service)
    with _creating(store, f"tables {service}"):
        return application_class(env=env)


@contextmanager
def _creating(store: StoreSettings, what: str):
    """Holds a lock named ``what`` on a connection of its own, for as long as the block
    runs (PostgreSQL; elsewhere nothing races)."""
    if store.backend != "postgres":
        yield
        return
    with psycopg.connect(postgres_dsn(store.postgres), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (what,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (what,))


def store_env(store: StoreSettings, service: str) -> dict[str, str]:
    """The eventsourcing environment for ``service``'s store."""
    return {**_backend_env(store, service), **_cipher_env(store, service), **_cache_env(store)}


def _cache_env(store: StoreSettings) -> dict[str, str]:
    """The library's cache of ``store.aggregate_cache`` aggregates (0: none), brought up
    to date from the store on every load and handed out as a copy: never stale, never
    spoilt by a failed command, and a large aggregate is not folded again each time."""
    size = store.aggregate_cache
    return {"AGGREGATE_CACHE_MAXSIZE": str(size)} if size > 0 else {}


class AtRestCipher(AESCipher):
    """AES-256-GCM of every stored event and snapshot (the library's cipher). A record
    that does not decrypt is refused, plain JSON included, or whoever can write to the
    database could insert one; only ``store.read_plaintext`` (a migration) accepts it."""

    READ_PLAINTEXT = "CIPHER_READ_PLAINTEXT"

    def __init__(self, environment):
        super().__init__(environment)
        allowed = str(environment.get(self.READ_PLAINTEXT) or "").lower()
        self.read_plaintext = allowed in ("y", "yes", "true", "1")

    def decrypt(self, ciphertext: bytes) -> bytes:
        try:
            return super().decrypt(ciphertext)
        except ValueError:
            if not (ciphertext[:1] == b"{" and ciphertext[-1:] == b"}"):
                raise
            if self.read_plaintext:
                return ciphertext
            raise ValueError(
                "A record of this encrypted store is not encrypted (it reads as plain JSON) "
                "and is refused: whoever can write to the database could have put it there. "
                "Set store.read_plaintext only while a log written before encryption must "
                "still be read.") from None


def _cipher_env(store: StoreSettings, service: str) -> dict[str, str]:
    """Encryption at rest for the services in ``store.encrypted_services``: every log
    may hold contact persons (the registry's declarations, a consumer's parked
    BaseDeclared, notifications' copies of events), and the notifications log holds
    webhook secrets (a copy of it must not let anyone sign webhooks as the platform)."""
    if service not in store.encrypted_services:
        return {}
    if not store.cipher_key:
        raise ValueError(f"store.cipher_key is needed to encrypt the {service} store")
    key = hashlib.sha256(store.cipher_key.encode()).digest()
    return {"CIPHER_TOPIC": f"{__name__}:AtRestCipher", "CIPHER_KEY": b64encode(key).decode(),
            AtRestCipher.READ_PLAINTEXT: "y" if store.read_plaintext else "n"}


def _backend_env(store: StoreSettings, service: str) -> dict[str, str]:
    if store.backend == "sqlite":
        database = private_sqlite_file(resolve_path(store.sqlite_dir) / f"{service}.sqlite3")
        return {
            "PERSISTENCE_MODULE": "services.backbone.eventstore.green_sqlite:GreenCommitFactory",
            "SQLITE_DBNAME": str(database),
            "SQLITE_LOCK_TIMEOUT": str(store.lock_timeout_seconds),
            "PROCESS_RECORDER_TOPIC": RECORDER_TOPICS["sqlite"],
        }
    if store.backend == "postgres":
        pg = store.postgres
        ensure_postgres_schema(pg, service)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": pg.dbname,
            "POSTGRES_HOST": pg.host,
            "POSTGRES_PORT": str(pg.port),
            "POSTGRES_USER": pg.user,
            "POSTGRES_PASSWORD": pg.password,
            "POSTGRES_SCHEMA": service,
            "POSTGRES_POOL_SIZE": str(pg.pool_size),
            "POSTGRES_MAX_OVERFLOW": "10",
            "POSTGRES_CONNECT_TIMEOUT": "5",
            "POSTGRES_LOCK_TIMEOUT": str(store.lock_timeout_seconds),
            # No pre-ping: a dead connection fails its statement and the library retries on
            # a fresh one (about 0.2 s per dead connection, where pinging took seconds).
            "POSTGRES_PRE_PING": "n",
            "PROCESS_RECORDER_TOPIC": RECORDER_TOPICS["postgres"],
        }
    raise ValueError(f"store.backend must be sqlite or postgres, not {store.backend!r}")


def private_sqlite_file(database: Path) -> Path:
    """A service's SQLite file, readable by the platform's user only: made 0600 (in a
    directory made 0700) before SQLite opens it, which would make it 0644 under the
    usual umask; its journal files take its mode. One made before is narrowed to 0600."""
    database.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.close(os.open(database, os.O_CREAT | os.O_WRONLY, 0o600))
    for path in (database, *(Path(f"{database}{suffix}") for suffix in ("-wal", "-shm"))):
        if path.exists() and stat.S_IMODE(path.stat().st_mode) & 0o077:
            path.chmod(0o600)
    return database


def postgres_dsn(pg: PostgresSettings, dbname: str | None = None) -> str:
    return psycopg.conninfo.make_conninfo(
        host=pg.host, port=pg.port, user=pg.user, password=pg.password,
        dbname=dbname or pg.dbname, connect_timeout=5,
    )


# Held until the transaction ends, by whoever creates the object it names: the
# creators of one object take turns, and each but the first finds it there.
CREATION_LOCK = "SELECT pg_advisory_xact_lock(hashtext(%s))"


def ensure_postgres_schema(pg: PostgresSettings, schema: str) -> None:
    """Creates the database (if this user may) and the service's schema when missing;
    instances of a service starting together take turns (``CREATION_LOCK``)."""
    try:
        _create_schema(pg, schema)
        return
    except psycopg.OperationalError as error:
        if "does not exist" not in str(error):
            raise
    try:
        with psycopg.connect(postgres_dsn(pg, "postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{pg.dbname}"')
    except psycopg.errors.DuplicateDatabase:
        pass  # another service created it meanwhile
    _create_schema(pg, schema)


def _create_schema(pg: PostgresSettings, schema: str) -> None:
    with psycopg.connect(postgres_dsn(pg)) as conn, conn.transaction():
        conn.execute(CREATION_LOCK, (f"schema {schema}",))
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')


def is_postgres(app) -> bool:
    return isinstance(app.recorder, PostgresRecorder)


def side_table(app, name: str, columns: str) -> tuple[str, str]:
    """Creates (if need be) a small table of the service's own beside its log, in its
    store (the relay's position, the consumers' crash guard), and returns its qualified
    name and the backend's parameter placeholder. On PostgreSQL the creation holds a
    lock named after the table: a service's consumers start together, and concurrent
    ``CREATE TABLE IF NOT EXISTS`` can fail on the catalogue (the table's row type)."""
    postgres = is_postgres(app)
    datastore = app.recorder.datastore
    table = f'"{datastore.schema}".{name}' if postgres else name
    with datastore.transaction(commit=True) as cursor:
        if postgres:
            cursor.execute(CREATION_LOCK, (f"table {table}",))
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {table} ({columns})")
    return table, ("%s" if postgres else "?")
