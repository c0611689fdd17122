"""Tamper evidence: every record of a service's log is hash-chained.

When events are inserted, the same transaction writes one ``log_chain`` row per record:
``hash = sha256(previous hash | position | originator | version | topic | stored state)``.
Inserts are serialised (SQLite's writer lock, PostgreSQL's table lock), so the chain
follows log order. ``verify`` walks the log and the chain together and names the first
position where they disagree: an edited record, a deleted one, one inserted behind the
platform's back, or two swapped.

The chain proves that nobody rewrote history *without also rewriting every later link*.
Anchors close that gap: a link (position, hash) recorded outside the store, e.g. by
``sc verify --anchors FILE`` into a file kept on other storage, must still be the link
at that position; someone who edits a record and recomputes every later link changes
the link at each anchor after it. Records removed from the end of the log, their links
with them, leave a shorter chain that is intact: only an anchor past the new end shows it.

Snapshots are not in the chain (they are a cache of a fold, written beside the log), but
loading an aggregate starts from its latest one: an edited snapshot changes what the
service believes without touching the log. ``verify`` therefore folds each snapshot's
aggregate from its events up to the snapshot's version and compares.
"""

import hashlib
import json
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator
from uuid import UUID

from eventsourcing.domain import Snapshot
from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresProcessRecorder, PostgresRecorder
from eventsourcing.sqlite import SQLiteProcessRecorder
from psycopg.sql import SQL, Identifier

from services.backbone import failpoints

GENESIS = "0" * 64
CHAIN_TABLE = "log_chain"


def link_hash(previous: str, position: int, originator_id: Any, originator_version: int,
              topic: str, state: bytes) -> str:
    """The hash of one record, covering its content and the previous link."""
    originator = str(originator_id if isinstance(originator_id, UUID) else UUID(str(originator_id)))
    digest = hashlib.sha256()
    digest.update(f"{previous}|{position}|{originator}|{originator_version}|{topic}|".encode())
    digest.update(bytes(state))
    return digest.hexdigest()


def _links(previous: str, ids, stored_events) -> list[tuple[int, str]]:
    rows = []
    for position, stored in zip(ids, stored_events, strict=True):
        previous = link_hash(previous, position, stored.originator_id, stored.originator_version,
                             stored.topic, stored.state)
        rows.append((position, previous))
    return rows


class ChainedSQLiteRecorder(SQLiteProcessRecorder):
    """SQLite process recorder that also writes the hash chain, in the same transaction."""

    # Overrides the library's _insert_events, the one place inside its transaction
    # (README: tamper evidence); pinned in tests/unit/test_library_internals.py.

    def construct_create_table_statements(self) -> list[str]:
        return super().construct_create_table_statements() + [
            f"CREATE TABLE IF NOT EXISTS {CHAIN_TABLE} "
            "(position INTEGER PRIMARY KEY, hash TEXT NOT NULL)"
        ]

    def _insert_events(self, c, stored_events, **kwargs):
        ids = super()._insert_events(c, stored_events, **kwargs)
        if stored_events:
            c.execute(f"SELECT hash FROM {CHAIN_TABLE} ORDER BY position DESC LIMIT 1")
            row = c.fetchone()
            links = _links(row[0] if row else GENESIS, ids, stored_events)
            c.executemany(f"INSERT INTO {CHAIN_TABLE} (position, hash) VALUES (?, ?)", links)
            failpoints.hit("store.before_commit")
        return ids


INSERT_ATTEMPTS = 10  # as the library's own retries


class ChainedPostgresRecorder(PostgresProcessRecorder):
    """PostgreSQL process recorder that also writes the hash chain, under the same
    table lock and in the same transaction as the events, and that retries an insert
    whose connection was lost only if it did not commit."""

    # Overrides insert_events (calling it without its retry decorator) and
    # _fetch_ids_after_insert_events; pinned in tests/unit/test_library_internals.py.

    def __init__(self, datastore, **kwargs):
        super().__init__(datastore, **kwargs)
        self.chain_table = SQL("{0}.{1}").format(Identifier(datastore.schema), Identifier(CHAIN_TABLE))
        self.sql_create_statements.append(SQL(
            "CREATE TABLE IF NOT EXISTS {0} (position BIGINT PRIMARY KEY, hash TEXT NOT NULL)"
        ).format(self.chain_table))

    def insert_events(self, stored_events, **kwargs):
        """The library retries an insert whose connection was lost; when what was lost
        was the answer to a COMMIT that happened, the retry collides with it (one
        request, two plan versions). So a colliding retry asks whether these very
        events (or the tracking record) are stored, until answered: then they committed."""
        insert = PostgresApplicationRecorder.insert_events.__wrapped__  # without its retries
        lost = False  # an attempt lost its connection: it may have committed
        for attempt in range(1, INSERT_ATTEMPTS + 1):
            try:
                return insert(self, stored_events, **kwargs)
            except IntegrityError:
                if not lost:
                    raise
                committed = self._committed_once_answered(stored_events, kwargs.get("tracking"))
                if committed is None:
                    raise
                return committed
            except (InterfaceError, OperationalError):
                if attempt == INSERT_ATTEMPTS:
                    raise
                lost = True
                time.sleep(0.2)
        raise AssertionError("unreachable")

    def _committed_once_answered(self, stored_events, tracking) -> list[int] | None:
        """``_committed``, asked again while connections fail (the last failure raised:
        the command fails cleanly, the client retries)."""
        for attempt in range(1, INSERT_ATTEMPTS + 1):
            try:
                return self._committed(stored_events, tracking)
            except (InterfaceError, OperationalError):
                if attempt == INSERT_ATTEMPTS:
                    raise
                time.sleep(0.2)
        raise AssertionError("unreachable")

    def _committed(self, stored_events, tracking) -> list[int] | None:
        """The positions of these events if the store holds them exactly as given (the
        transaction that wrote the first wrote them all), else None."""
        if not stored_events:
            found = tracking is not None and self.has_tracking_id(tracking.application_name,
                                                                  tracking.notification_id)
            return [] if found else None
        statement = SQL("SELECT notification_id, state FROM {0}.{1} WHERE originator_id = %s "
                        "AND originator_version = %s").format(Identifier(self.datastore.schema),
                                                              Identifier(self.events_table_name))
        positions = []
        with self.datastore.transaction(commit=False) as cursor:
            for stored in stored_events:
                cursor.execute(statement, (stored.originator_id, stored.originator_version))
                row = cursor.fetchone()
                if row is None or bytes(row["state"]) != bytes(stored.state):
                    return None
                positions.append(row["notification_id"])
        return positions

    def _fetch_ids_after_insert_events(self, curs, stored_events, **kwargs):
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        if stored_events:
            curs.execute(SQL("SELECT hash FROM {0} ORDER BY position DESC LIMIT 1").format(self.chain_table))
            row = curs.fetchone()
            links = _links(row["hash"] if row else GENESIS, ids, stored_events)
            curs.executemany(SQL("INSERT INTO {0} (position, hash) VALUES (%s, %s)").format(self.chain_table),
                             links)
            if failpoints.hit("store.before_commit") == "drop-connection":
                curs.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        return ids


RECORDER_TOPICS = {
    "sqlite": f"{__name__}:ChainedSQLiteRecorder",
    "postgres": f"{__name__}:ChainedPostgresRecorder",
}


@dataclass(frozen=True)
class Anchor:
    """A chain link recorded outside the store."""

    position: int
    hash: str


@dataclass
class Verification:
    ok: bool
    checked: int
    head_hash: str
    first_broken_position: int | None = None
    problem: str | None = None
    broken_links: int = 0
    head_position: int = 0
    anchors_checked: int = 0
    snapshots_checked: int = 0
    bad_snapshots: int = 0
    # {"aggregate_id", "version", "problem"} of the first snapshot that is not the fold
    # of its events (apart from chain breaks: the log itself may be intact)
    first_bad_snapshot: dict | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def _chain_rows(app, after: int, limit: int) -> list[tuple[int, str]]:
    recorder = app.recorder
    with recorder.datastore.transaction(commit=False) as cursor:
        if isinstance(recorder, ChainedPostgresRecorder):
            cursor.execute(SQL("SELECT position, hash FROM {0} WHERE position > %s "
                               "ORDER BY position LIMIT %s").format(recorder.chain_table), (after, limit))
            return [(row["position"], row["hash"]) for row in cursor.fetchall()]
        cursor.execute(f"SELECT position, hash FROM {CHAIN_TABLE} WHERE position > ? "
                       "ORDER BY position LIMIT ?", (after, limit))
        return [(row[0], row[1]) for row in cursor.fetchall()]


def _merged(app, page: int = 1000) -> Iterator[tuple[int, Any, str | None]]:
    """(position, record or None, chain hash or None) for every position that has either."""
    events_after = chain_after = 0
    events, chain = [], []
    while True:
        if not events:
            events = list(app.recorder.select_notifications(start=events_after, limit=page,
                                                            inclusive_of_start=False))
            events_after = events[-1].id if events else events_after
        if not chain:
            chain = _chain_rows(app, chain_after, page)
            chain_after = chain[-1][0] if chain else chain_after
        if not events and not chain:
            return
        event_pos = events[0].id if events else None
        chain_pos = chain[0][0] if chain else None
        position = min(p for p in (event_pos, chain_pos) if p is not None)
        record = events.pop(0) if event_pos == position else None
        link = chain.pop(0)[1] if chain_pos == position else None
        yield position, record, link


def verify(app, progress=None, anchors: Iterable[Anchor] = ()) -> Verification:
    """Walks the whole log; reports the first broken link (and how many there are),
    including a link that differs from an anchor recorded for its position."""
    previous = GENESIS
    expected = {anchor.position: anchor.hash for anchor in anchors}
    result = Verification(ok=True, checked=0, head_hash=GENESIS)
    for position, record, link in _merged(app):
        result.checked += 1
        if progress is not None:
            progress.advance()
        problem = None
        if record is None:
            problem = "the record was deleted (its chain link remains)"
        elif link is None:
            problem = "the record has no chain link (written outside the platform)"
        elif link_hash(previous, position, record.originator_id, record.originator_version,
                       record.topic, record.state) != link:
            problem = "the record does not match its chain link (edited, or moved from another position)"
        elif position in expected:
            result.anchors_checked += 1
            if expected[position] != link:
                problem = ("the chain differs from the anchor recorded for this position: the "
                           "log up to here was rewritten, links and all")
        expected.pop(position, None)
        if problem:
            _broken(result, position, problem)
        previous = link or previous
        result.head_position = position
    if expected:  # anchored positions the log no longer reaches
        _broken(result, min(expected), "the log ends before this anchored position (records were removed)")
    result.head_hash = previous
    _verify_snapshots(app, result)
    return result


def _snapshot_keys(app) -> list[tuple[Any, int]]:
    """(aggregate id, version) of every snapshot in the store, oldest version first."""
    recorder = app.snapshots.recorder
    with recorder.datastore.transaction(commit=False) as cursor:
        if isinstance(recorder, PostgresRecorder):
            cursor.execute(SQL("SELECT originator_id, originator_version FROM {0}.{1} "
                               "ORDER BY originator_id, originator_version").format(
                Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name)))
            return [(row["originator_id"], row["originator_version"]) for row in cursor.fetchall()]
        cursor.execute(f"SELECT originator_id, originator_version FROM {recorder.events_table_name} "
                       "ORDER BY originator_id, originator_version")
        return [(UUID(str(row[0])) if not isinstance(row[0], UUID) else row[0], row[1])
                for row in cursor.fetchall()]


def _snapshot_problem(app, aggregate_id, version: int) -> str | None:
    """Why the snapshot of ``aggregate_id`` at ``version`` is not the fold of the
    aggregate's events up to that version; None when it is."""
    (stored,) = app.snapshots.get(aggregate_id, gt=version - 1, lte=version)
    aggregate = None
    for event in app.events.get(aggregate_id, lte=version):
        aggregate = event.mutate(aggregate)
    if aggregate is None or aggregate.version != version:
        return "its aggregate has no event at that version (a snapshot written outside the platform)"
    # Through the mapper, as the stored one came, so that both are decoded alike.
    folded = app.mapper.to_domain_event(app.mapper.to_stored_event(Snapshot.take(aggregate)))
    if (folded.topic, folded.state) != (stored.topic, stored.state):
        return "it differs from the fold of its aggregate's events (edited)"
    return None


def _verify_snapshots(app, result: Verification) -> None:
    if getattr(app, "snapshots", None) is None:
        return  # this service does not snapshot
    for aggregate_id, version in _snapshot_keys(app):
        result.snapshots_checked += 1
        try:
            problem = _snapshot_problem(app, aggregate_id, version)
        except Exception as error:  # undecodable, or events that do not fold: reported
            problem = f"it cannot be read or folded against its events ({type(error).__name__}: {error})"
        if problem is None:
            continue
        result.bad_snapshots += 1
        if result.first_bad_snapshot is None:
            result.first_bad_snapshot = {"aggregate_id": str(aggregate_id), "version": version,
                                         "problem": problem}
        result.ok = False


def _broken(result: Verification, position: int, problem: str) -> None:
    result.broken_links += 1
    if result.ok:
        result.ok, result.first_broken_position, result.problem = False, position, problem


def read_anchors(path, service: str) -> list[Anchor]:
    """The anchors of ``service`` in an anchors file (JSON lines); none if it is absent."""
    path = Path(path)
    if not path.exists():
        return []
    anchors = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            if entry["service"] == service:
                anchors.append(Anchor(int(entry["position"]), str(entry["hash"])))
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"{path}:{number}: not an anchor ({error!r})") from None
    return anchors


def append_anchor(path, service: str, result: Verification) -> bool:
    """Records the verified head of ``service`` in the anchors file; False when the log
    is empty or the head is already anchored."""
    if not result.ok or result.head_position == 0:
        return False
    if Anchor(result.head_position, result.head_hash) in read_anchors(path, service):
        return False
    entry = {"service": service, "position": result.head_position, "hash": result.head_hash,
             "recorded_at": datetime.now(timezone.utc).isoformat()}
    with Path(path).open("a", encoding="utf-8") as file:
        file.write(json.dumps(entry) + "\n")
    return True
