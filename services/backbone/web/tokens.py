"""Bearer tokens: who the caller is, in which role, with which scope.

Tokens are JWTs signed with HMAC-SHA256 using the secret from config (``auth.secret``);
nothing here holds a secret. ``sc token --role drc --name ...`` issues one.
"""

import time
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Iterable
from uuid import UUID, uuid4

import jwt

from services.backbone.kernel.context import Actor
from services.backbone.kernel.errors import Forbidden, Unauthenticated

ISSUER = "shuangchuang-platform"
ALGORITHM = "HS256"


def issue_token(
    secret: str,
    *,
    role: str,
    name: str = "",
    actor_id: UUID | None = None,
    region: tuple[str, str] | None = None,
    org: str | None = None,
    base_ids: Iterable[UUID] = (),
    ttl: timedelta = timedelta(hours=24),
    now: datetime | None = None,
) -> str:
    """Signs a token for an actor. Validates the role by building the Actor first."""
    actor = Actor(
        id=actor_id or uuid4(), role=role, name=name, region=region, org=org,
        base_ids=tuple(base_ids),
    )
    now = now or datetime.now(timezone.utc)
    claims = {
        "iss": ISSUER,
        "sub": str(actor.id),
        "role": actor.role,
        "name": actor.name,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    if actor.region:
        claims["region"] = list(actor.region)
    if actor.org:
        claims["org"] = actor.org
    if actor.base_ids:
        claims["bases"] = [str(b) for b in actor.base_ids]
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_token(secret: str, token: str) -> Actor:
    """The actor a token names, or Unauthenticated saying why it is not accepted."""
    actor, expires = _verified(secret, token)
    if expires <= time.time():
        raise Unauthenticated("The token has expired.")
    return actor


@lru_cache(maxsize=4096)
def _verified(secret: str, token: str) -> tuple[Actor, int]:
    """Checks a token's signature and claims once: a client sends the same token with
    every request. A token that fails is not remembered (it raises); the caller checks
    expiry on every use."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "iss"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("The token has expired.") from None
    except jwt.InvalidTokenError as error:
        raise Unauthenticated(f"The token is not valid: {error}.") from None
    try:
        region = claims.get("region")
        actor = Actor(
            id=UUID(claims["sub"]),
            role=claims["role"],
            name=claims.get("name", ""),
            region=(region[0], region[1]) if region else None,
            org=claims.get("org"),
            base_ids=tuple(UUID(b) for b in claims.get("bases", [])),
        )
    except (KeyError, ValueError, TypeError, IndexError) as error:
        raise Unauthenticated(f"The token's claims are not valid: {error}.") from None
    return actor, int(claims["exp"])


def bearer(header: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header."""
    if not header:
        raise Unauthenticated("Authentication required: send Authorization: Bearer <token>.")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("The Authorization header must be 'Bearer <token>'.")
    return token.strip()


def authenticate(secret: str, header: str | None, roles: Iterable[str] | None) -> Actor:
    """The actor of an Authorization header, checked against the allowed roles
    (None: any authenticated actor)."""
    actor = verify_token(secret, bearer(header))
    if roles is not None and actor.role not in roles:
        allowed = ", ".join(sorted(roles))
        raise Forbidden(f"Role {actor.role!r} may not do this (allowed: {allowed}).")
    return actor
