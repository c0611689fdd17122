"""Server-side sessions and sign-in failures, in side tables of the console's own store.

A session is a random token in an HttpOnly cookie; the table keeps only its SHA-256,
so a copy of the store signs nobody in. A session ends when its person signs out, when
it has been idle longer than ``idle_minutes`` or open longer than ``max_hours``, and at
once when its account is disabled or its password reset (``end_all``). Failures count
per account and per client address, each locking for ``lock_minutes`` once its limit
is reached within ``window_minutes``.
"""

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from uuid import UUID

from services.backbone.eventstore.stores import side_table


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Session:
    token: str  # only known when the session is opened or presented by its cookie
    account_id: UUID
    csrf_token: str
    started_at: float
    last_seen: float

    def csrf_matches(self, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(self.csrf_token, str(given))


class SessionExpired(Exception):
    """The cookie names a session that has ended (idle, too old, signed out, revoked)."""


class Sessions:
    """The open sessions of the console's people."""

    def __init__(self, app, *, idle_minutes: float, max_hours: float, clock=time.time):
        self.app, self.clock = app, clock
        self.idle, self.max_age = idle_minutes * 60, max_hours * 3600
        self.table, self.ph = side_table(
            app, "console_sessions",
            "token_hash TEXT PRIMARY KEY, account_id TEXT NOT NULL, csrf_token TEXT NOT NULL, "
            "started_at DOUBLE PRECISION NOT NULL, last_seen DOUBLE PRECISION NOT NULL, ended TEXT")

    def open(self, account_id: UUID) -> Session:
        now = self.clock()
        session = Session(secrets.token_urlsafe(32), account_id, secrets.token_urlsafe(32), now, now)
        self._execute(f"INSERT INTO {self.table} VALUES ({', '.join([self.ph] * 5)}, NULL)",
                      (digest(session.token), str(account_id), session.csrf_token, now, now))
        return session

    def find(self, token: str) -> Session:
        """The open session of a cookie, its idle clock restarted; SessionExpired if it
        has ended (it is removed then)."""
        row = self._fetch(f"SELECT account_id, csrf_token, started_at, last_seen, ended FROM {self.table} "
                          f"WHERE token_hash = {self.ph}", (digest(token),))
        if row is None:
            raise SessionExpired("ended")
        if row["ended"]:  # revoked: said once, to the next click, then forgotten
            self.end(token)
            raise SessionExpired(row["ended"])
        now = self.clock()
        if now - row["last_seen"] > self.idle or now - row["started_at"] > self.max_age:
            self.end(token)
            raise SessionExpired("idle")
        if now - row["last_seen"] > 30:  # one write a click at most every 30 s
            self._execute(f"UPDATE {self.table} SET last_seen = {self.ph} WHERE token_hash = {self.ph}",
                          (now, digest(token)))
        return Session(token, UUID(row["account_id"]), row["csrf_token"], row["started_at"], now)

    def end(self, token: str) -> None:
        self._execute(f"DELETE FROM {self.table} WHERE token_hash = {self.ph}", (digest(token),))

    def end_all(self, account_id: UUID, reason: str) -> None:
        """Ends every session of an account at once (``reason``: disabled, or its
        password reset), which the next click of each is told."""
        self._execute(f"UPDATE {self.table} SET ended = {self.ph} WHERE account_id = {self.ph}",
                      (reason, str(account_id)))

    def count(self, account_id: UUID) -> int:
        """The account's open sessions."""
        row = self._fetch(f"SELECT COUNT(*) AS n FROM {self.table} WHERE account_id = {self.ph} "
                          f"AND ended IS NULL", (str(account_id),))
        return int(row["n"])

    def _execute(self, statement: str, params: tuple) -> None:
        with self.app.recorder.datastore.transaction(commit=True) as cursor:
            cursor.execute(statement, params)

    def _fetch(self, statement: str, params: tuple):
        with self.app.recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(statement, params)
            return cursor.fetchone()


class SignInFailures:
    """Failed sign-ins per subject (``account:<name>``, ``address:<ip>``) and the locks
    they lead to."""

    def __init__(self, app, *, window_minutes: float, lock_minutes: float, clock=time.time):
        self.app, self.clock = app, clock
        self.window, self.lock = window_minutes * 60, lock_minutes * 60
        self.table, self.ph = side_table(
            app, "console_sign_in_failures",
            "subject TEXT PRIMARY KEY, failures INTEGER NOT NULL, "
            "window_start DOUBLE PRECISION NOT NULL, locked_until DOUBLE PRECISION NOT NULL")

    def locked_until(self, subject: str) -> float | None:
        """When the subject's lock ends, if it is locked now."""
        with self.app.recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(f"SELECT locked_until FROM {self.table} WHERE subject = {self.ph}", (subject,))
            row = cursor.fetchone()
        return row["locked_until"] if row and row["locked_until"] > self.clock() else None

    def record(self, subject: str, limit: int) -> bool:
        """Counts one failure; True if the subject is locked now."""
        now = self.clock()
        with self.app.recorder.datastore.transaction(commit=True) as cursor:
            cursor.execute(f"SELECT failures, window_start FROM {self.table} WHERE subject = {self.ph}",
                           (subject,))
            row = cursor.fetchone()
            failures = 1 if row is None or now - row["window_start"] > self.window else row["failures"] + 1
            start = now if failures == 1 else row["window_start"]
            locked_until = now + self.lock if failures >= limit else 0.0
            cursor.execute(
                f"INSERT INTO {self.table} (subject, failures, window_start, locked_until) "
                f"VALUES ({self.ph}, {self.ph}, {self.ph}, {self.ph}) ON CONFLICT (subject) DO UPDATE "
                f"SET failures = excluded.failures, window_start = excluded.window_start, "
                f"locked_until = excluded.locked_until",
                (subject, 0 if locked_until else failures, start, locked_until))
        return bool(locked_until)

    def clear(self, subject: str) -> None:
        with self.app.recorder.datastore.transaction(commit=True) as cursor:
            cursor.execute(f"DELETE FROM {self.table} WHERE subject = {self.ph}", (subject,))
