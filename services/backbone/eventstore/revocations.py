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
