"""Revoked tokens, kept in every service's own log.

The registry records a revocation (``sc token revoke``) and publishes it as TokenRevoked;
every service that consumes the registry records it in its own log too. So each service
checks a list it folds from its own log, also after a restart, and none depends on
another answering while it checks a token.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.backbone.eventstore.reactions import reacts_to
from services.backbone.eventstore.views import View
from services.backbone.kernel.context import Context, stable_id


class Revocation(Aggregate):
    """One token (its ``jti``) that no service accepts any more, and why."""

    @staticmethod
    def create_id(jti: UUID, **_: Any):
        return stable_id("revocation", jti)

    @event("Revoked")
    def __init__(self, jti: UUID, expires_at: datetime, reason: str, ctx: Context):
        self.jti = jti
        self.expires_at = expires_at
        self.reason = reason


class RevokedTokens(View):
    """The jti of every revoked token (a token past its expiry is refused anyway)."""

    def __init__(self):
        self.reset()

    def reset(self) -> None:
        self.jtis: set[UUID] = set()

    def apply(self, domain_event) -> None:
        if isinstance(domain_event, Revocation.Revoked):
            self.jtis.add(domain_event.jti)


class TokenRevocations:
    """The part of a service's application that records and checks revoked tokens."""

    @property
    def revoked_tokens(self) -> RevokedTokens:
        if "_revoked_tokens" not in vars(self):
            self._revoked_tokens = RevokedTokens()
        return self._revoked_tokens

    def revoke_token(self, jti: UUID, expires_at: datetime, reason: str, ctx: Context) -> bool:
        """Records a revocation here (the registry, which publishes it); False if known."""
        if Revocation.create_id(jti) in self.repository:
            return False
        self.save(Revocation(jti=jti, expires_at=expires_at, reason=reason, ctx=ctx))
        return True

    @reacts_to("TokenRevoked")
    def note_revocation(self, event, processing) -> None:
        """Every consumer of the registry keeps the revocation in its own log."""
        p = event.payload
        if Revocation.create_id(p["jti"]) not in self.repository:
            processing.collect_events(Revocation(jti=p["jti"], expires_at=p["expires_at"],
                                                 reason=p["reason"], ctx=self.upstream_context(event)))

    def is_revoked(self, jti: UUID) -> bool:
        """Whether a token was revoked, by this log's own list, never reading the store (a
        token is checked while the store is down too): this process's writes reach the list
        at once, another instance's at the next catch-up (``EventStore`` runs one a second)."""
        return jti in self.revoked_tokens.jtis
