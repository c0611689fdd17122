"""What an ``Idempotency-Key`` was used for, kept in the service's own log.

A request with a key is recorded as an ``IdempotencyRecord`` named by (route, caller,
key). Its claim is appended *in the same transaction as the command's first write*
(``ServiceApplication._commit`` adds it), so "the command wrote" and "the key is used" are
one fact: a crash before that commit leaves neither (the retry executes, nothing was
written), a crash after it leaves both (the retry never executes again). Two requests with
one key, in one process or in two instances, both append the claim at the record's same
next version; the store's unique (id, version) lets exactly one of them commit, and the
other's whole transaction, its command's events included, is refused (``KeyInUse``).
The answer (status and body) is appended after the command returns, so a retry replays it.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventlet import corolocal
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate, event

from services.backbone.kernel.context import Context, stable_id
from services.backbone.kernel.errors import Conflict


class KeyInUse(Conflict):
    """Another request with this key committed first; this one wrote nothing."""


class IdempotencyRecord(Aggregate):
    """One (route, caller, key): the hash of the request that used it, and its answer."""

    @staticmethod
    def create_id(route: str, caller: str, key: str, **_: Any) -> UUID:
        return stable_id("idempotency", route, caller, key)

    @event("Claimed")
    def __init__(self, route: str, caller: str, key: str, body_hash: str, at: datetime, ctx: Context):
        self.route, self.caller, self.key = route, caller, key
        self._claim(body_hash, at)

    @event("Reclaimed")
    def reclaim(self, body_hash: str, at: datetime, ctx: Context) -> None:
        """The key used again after it expired: a new request."""
        self._claim(body_hash, at)

    def _claim(self, body_hash: str, at: datetime) -> None:
        self.body_hash, self.claimed_at = body_hash, at
        self.status: int | None = None
        self.answer: Any = None

    @event("Answered")
    def answered(self, status: int, answer: Any, ctx: Context) -> None:
        self.status, self.answer = status, answer

    def expired(self, now: datetime, ttl: timedelta) -> bool:
        return now - self.claimed_at > ttl


@dataclass
class Claim:
    """A request's claim of its key, waiting for the command's first commit."""

    route: str
    caller: str
    key: str
    body_hash: str
    at: datetime
    version: int  # of the record when the request looked it up; 0: none
    ctx: Context  # the caller's, as on the command's own events
    committed: bool = False

    @property
    def record_id(self) -> UUID:
        return IdempotencyRecord.create_id(self.route, self.caller, self.key)

    def record(self, repository) -> IdempotencyRecord:
        """The record with the claim pending, at the version the request saw (so a
        concurrent claim collides with it at commit)."""
        if self.version == 0:
            return IdempotencyRecord(route=self.route, caller=self.caller, key=self.key,
                                     body_hash=self.body_hash, at=self.at, ctx=self.ctx)
        record = repository.get(self.record_id, version=self.version)
        record.reclaim(body_hash=self.body_hash, at=self.at, ctx=self.ctx)
        return record

    def lost_to_another(self, repository) -> bool:
        """Whether a refused commit was refused because another request claimed the key."""
        try:
            return repository.get(self.record_id).version > self.version
        except AggregateNotFoundError:  # none: it was the command's own conflict
            return False


class Claims:
    """The claim of the request each worker (green thread) runs, if it carries a key:
    set by the event-store dependency for the worker's life, read at its commits."""

    def __init__(self) -> None:
        self._local = corolocal.local()

    def hold(self, claim: Claim | None) -> None:
        self._local.claim = claim

    def pending(self) -> Claim | None:
        claim = getattr(self._local, "claim", None)
        return claim if claim is not None and not claim.committed else None
