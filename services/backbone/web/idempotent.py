"""``Idempotency-Key`` on every mutating HTTP route: a retry answers as the first request.

A route that reads JSON, called with the header, looks up the record of (route, caller,
key) in the service's own log (``eventstore/idempotency.py``) before its worker runs:

- answered, the same request (method, path, query and body hashed): the stored status and
  body again, with ``Idempotent-Replayed: true``; nothing runs;
- answered or claimed by another request: 409 ``idempotency_key_reused`` naming the header;
- claimed and not answered yet (a concurrent request is finishing): this request waits up
  to ``idempotency.wait_seconds`` for the answer and replays it, else 409
  ``idempotency_key_in_progress`` (the key's request *was* applied: do not resend it
  under a new key);
- none, or expired (``idempotency.ttl_seconds``): the command runs, and the claim is
  written in its first transaction, atomically with its events; the answer follows.

Two concurrent requests with one key may both run: the second's commit collides with the
first's claim and writes nothing (or its command, seeing the first's write, refuses), and
it then waits for the first's answer as above. A command that writes nothing (a refused request) records nothing: running it again writes
nothing either. Routes that keep their own key (funding's, in their domain: they declare
the header as required) and uploads (content-addressed already) are left as they are.
"""

import hashlib
import re
import time
from datetime import datetime, timedelta, timezone

import logging

import eventlet
from eventsourcing.application import AggregateNotFoundError
from werkzeug.wrappers import Response

from services.backbone.eventstore.idempotency import Claim, IdempotencyRecord, KeyInUse
from services.backbone.kernel.context import Context
from services.backbone.kernel.errors import BadRequest, Conflict

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
KEY_FORMAT = re.compile(r"^[\x21-\x7e]{1,200}$")  # printable ASCII, as funding's keys
POLL_SECONDS = 0.05


class KeyReused(Conflict):
    code = "idempotency_key_reused"


class KeyInProgress(Conflict):
    code = "idempotency_key_in_progress"


def key_of(request) -> str | None:
    """The request's key, or None; 400 naming the header when it is malformed."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not KEY_FORMAT.match(key):
        raise BadRequest(f"{HEADER} is not valid.",
                         fields={HEADER: ["1 to 200 printable ASCII characters, no spaces."]})
    return key


def request_hash(request) -> str:
    """What makes two requests the same: method, path, query string and body."""
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.path.encode(), request.query_string, request.get_data()):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


class IdempotentRoute:
    """One route's use of keys, against its service's application and settings."""

    def __init__(self, app, settings, route: str):
        self.app, self.route = app, route
        self.ttl = timedelta(seconds=settings.ttl_seconds)
        self.wait = settings.wait_seconds

    def begin(self, request, ctx: Context, key: str) -> Claim | Response:
        """A stored answer (or a refusal) for a request already seen; else its claim."""
        body_hash, caller = request_hash(request), str(ctx.actor_id)
        now = datetime.now(timezone.utc)
        record = self._record(caller, key)
        if record is None or record.expired(now, self.ttl):
            return Claim(self.route, caller, key, body_hash, now, record.version if record else 0, ctx)
        return self.answer(record, body_hash)

    def answer(self, record: IdempotencyRecord, body_hash: str) -> Response:
        """The stored answer of ``record`` for a request hashed ``body_hash``, waiting
        for it while the first request finishes."""
        if record.body_hash != body_hash:
            raise KeyReused(f"This {HEADER} was used for another request; send a new key.",
                            fields={HEADER: ["Already used for a request with another body."]})
        deadline = time.monotonic() + self.wait
        while record.status is None and time.monotonic() < deadline:
            eventlet.sleep(POLL_SECONDS)
            record = self._record(record.caller, record.key)
        if record.status is None:
            raise KeyInProgress(f"The request with this {HEADER} was applied and has not answered yet; "
                                "ask again later, do not send it under a new key.",
                                fields={HEADER: ["A request with this key is in progress."]})
        status, body, mimetype = record.answer
        return Response(body, status=status, mimetype=mimetype, headers={REPLAYED: "true"})

    def lost(self, claim: Claim) -> Response:
        """A request whose commit lost to another with its key: that one's answer."""
        return self.answer(self._record(claim.caller, claim.key), claim.body_hash)

    def finish(self, claim: Claim, response: Response) -> Response:
        """The answer to a request that ran: stored, if its command wrote (a refusal
        after its first write included), so that its retries replay it. One that wrote
        nothing may have been refused *because* a concurrent request with its key had
        just written (a declaration already there): then that request's answer."""
        if not claim.committed:
            if response.status_code >= 400 and claim.lost_to_another(self.app.repository):
                return self.lost(claim)
            return response
        try:
            record = self.app.repository.get(claim.record_id)
            record.answered(status=response.status_code,
                            answer=(response.status_code, response.get_data(as_text=True), response.mimetype),
                            ctx=claim.ctx)
            self.app.save(record)
        except Exception:  # noqa: BLE001 (the command is done; its client gets its answer)
            log.exception("the answer to %s %s was not recorded; its retries answer 409 in progress",
                          self.route, claim.key)
        return response

    def _record(self, caller: str, key: str) -> IdempotencyRecord | None:
        try:
            return self.app.repository.get(IdempotencyRecord.create_id(self.route, caller, key))
        except AggregateNotFoundError:
            return None


__all__ = ["HEADER", "REPLAYED", "IdempotentRoute", "KeyInUse", "key_of"]
