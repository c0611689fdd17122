"""Where each service keeps its log: an embedded SQLite file, or a PostgreSQL schema.

The backend is a configuration choice only (``store.backend``); the application code is
the same. Each service owns its store: its own SQLite file, or its own schema in the
database, so no service reads another's tables.
"""

import hashlib
from base64 import b64encode

import psycopg
from eventsourcing.cryptography import AESCipher
from eventsourcing.persistence import IntegrityError
from eventsourcing.postgres import PostgresRecorder

from services.backbone.eventstore.hash_chain import RECORDER_TOPICS
from services.backbone.config import resolve_path
from services.backbone.settings import PostgresSettings, StoreSettings


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
    """Encryption at rest for the services in ``store.encrypted_services``: the
    notifications log holds webhook secrets (a copy of the log must not let anyone sign
    webhooks as the platform) and copies of events with contact persons in them."""
    if service not in store.encrypted_services:
        return {}
    if not store.cipher_key:
        raise ValueError(f"store.cipher_key is needed to encrypt the {service} store")
    key = hashlib.sha256(store.cipher_key.encode()).digest()
    return {"CIPHER_TOPIC": f"{__name__}:AtRestCipher", "CIPHER_KEY": b64encode(key).decode(),
            AtRestCipher.READ_PLAINTEXT: "y" if store.read_plaintext else "n"}


def _backend_env(store: StoreSettings, service: str) -> dict[str, str]:
    if store.backend == "sqlite":
        directory = resolve_path(store.sqlite_dir)
        directory.mkdir(parents=True, exist_ok=True)
        return {
            "PERSISTENCE_MODULE": "services.backbone.eventstore.green_sqlite:GreenCommitFactory",
            "SQLITE_DBNAME": str(directory / f"{service}.sqlite3"),
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


def postgres_dsn(pg: PostgresSettings, dbname: str | None = None) -> str:
    return psycopg.conninfo.make_conninfo(
        host=pg.host, port=pg.port, user=pg.user, password=pg.password,
        dbname=dbname or pg.dbname, connect_timeout=5,
    )


def ensure_postgres_schema(pg: PostgresSettings, schema: str) -> None:
    """Creates the database (if this user may) and the service's schema when missing."""
    try:
        with psycopg.connect(postgres_dsn(pg), autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            return
    except psycopg.OperationalError as error:
        if "does not exist" not in str(error):
            raise
    with psycopg.connect(postgres_dsn(pg, "postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{pg.dbname}"')
    with psycopg.connect(postgres_dsn(pg), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')


def is_postgres(app) -> bool:
    return isinstance(app.recorder, PostgresRecorder)


def side_table(app, name: str, columns: str) -> tuple[str, str]:
    """Creates (if need be) a small table of the service's own beside its log, in its
    store (the relay's position, the consumers' crash guard), and returns its qualified
    name and the backend's parameter placeholder."""
    postgres = is_postgres(app)
    datastore = app.recorder.datastore
    table = f'"{datastore.schema}".{name}' if postgres else name
    try:
        with datastore.transaction(commit=True) as cursor:
            cursor.execute(f"CREATE TABLE IF NOT EXISTS {table} ({columns})")
    except IntegrityError:
        # PostgreSQL: two creators at once (a service's subscriptions start together)
        # and IF NOT EXISTS loses the race in the catalogue; the other one created it.
        with datastore.transaction(commit=False) as cursor:
            cursor.execute(f"SELECT 1 FROM {table} WHERE FALSE")
    return table, ("%s" if postgres else "?")
