"""Bearer tokens: who the caller is, in which role, with which scope.

Tokens are JWTs signed with Ed25519 (EdDSA) by an issuer that holds its own private key:
``sc token`` (issuer ``cli``), the console (``console``: people's tokens, minutes long),
or a service calling another (issuer = the service, role ``service`` only). Services
hold only public keys, so no service can mint a person's token. A token is accepted for
the platform's audience, from an issuer in ``auth.issuers`` (or a service for itself),
unexpired, with claims of the right shape, and not revoked (its ``jti``).
"""

import time
from collections import OrderedDict
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterable
from uuid import UUID, uuid4

import jwt

from services.backbone.kernel.context import Actor
from services.backbone.kernel.errors import Forbidden, Unauthenticated
from services.contracts.signing import Forged, Keyring, Signer
from services.contracts.vocabulary import ROLES, SERVICES

AUDIENCE = "shuangchuang-platform"
ALGORITHM = "EdDSA"
MAX_TOKEN_BYTES = 8192  # a token is a few hundred bytes; a larger one is refused unread


def issue_token(signer: Signer, *, role: str, name: str = "", actor_id: UUID | None = None,
                region: tuple[str, ...] | None = None, org: str | None = None,
                base_ids: Iterable[UUID] = (), ttl: timedelta = timedelta(hours=1),
                now: datetime | None = None) -> str:
    """Signs a token for an actor as ``signer``; the role is checked by building the Actor."""
    actor = Actor(id=actor_id or uuid4(), role=role, name=name, region=region, org=org,
                  base_ids=tuple(base_ids))
    now = now or datetime.now(timezone.utc)
    claims = {"iss": signer.name, "aud": AUDIENCE, "sub": str(actor.id), "jti": str(uuid4()),
              "role": actor.role, "name": actor.name,
              "iat": int(now.timestamp()), "exp": int((now + ttl).timestamp())}
    if actor.region:
        claims["region"] = list(actor.region)
    if actor.org:
        claims["org"] = actor.org
    if actor.base_ids:
        claims["bases"] = [str(b) for b in actor.base_ids]
    return jwt.encode(claims, signer.private_key, algorithm=ALGORITHM, headers={"kid": signer.key_id})


def bearer_header(signer: Signer, *, role: str, name: str, actor_id: UUID | None = None,
                  ttl: timedelta = timedelta(minutes=5)) -> str:
    """An ``Authorization`` value for one call of the platform's own (a service's, sc's)."""
    return f"Bearer {issue_token(signer, role=role, name=name, actor_id=actor_id, ttl=ttl)}"


def token_id(token: str) -> tuple[UUID, datetime]:
    """A token's ``jti`` and expiry, read without checking it (to revoke it)."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
        return UUID(str(claims["jti"])), datetime.fromtimestamp(int(claims["exp"]), timezone.utc)
    except (jwt.InvalidTokenError, KeyError, ValueError, TypeError) as error:
        raise ValueError(f"not a token of this platform: {error}") from None


class TokenVerifier:
    """Checks tokens against the trusted issuers' public keys. A token's signature and
    claims are checked once and remembered; expiry and revocation at every use."""

    cache_size = 4096

    def __init__(self, keyring: Keyring, issuers: Iterable[str],
                 revoked: Callable[[UUID], bool] = lambda jti: False):
        self.keyring = keyring
        self.issuers = frozenset(issuers)
        self.revoked = revoked
        self._verified: OrderedDict[str, tuple[Actor, int, UUID]] = OrderedDict()

    def verify(self, token: str) -> Actor:
        """The actor a token names, or Unauthenticated saying why it is not accepted."""
        known = self._verified.get(token)
        if known is None:
            known = self._check(token)
            self._verified[token] = known
            if len(self._verified) > self.cache_size:
                self._verified.popitem(last=False)
        actor, expires, jti = known
        if expires <= time.time():
            raise Unauthenticated("The token has expired.")
        if self.revoked(jti):
            raise Unauthenticated("The token has been revoked.")
        return actor

    def authenticate(self, header: str | None, roles: Iterable[str] | None) -> Actor:
        """The actor of an Authorization header, checked against the allowed roles
        (None: any authenticated actor)."""
        actor = self.verify(bearer(header))
        if roles is not None and actor.role not in roles:
            raise Forbidden(f"Role {actor.role!r} may not do this (allowed: {', '.join(sorted(roles))}).")
        return actor

    def _check(self, token: str) -> tuple[Actor, int, UUID]:
        if len(token) > MAX_TOKEN_BYTES:
            raise Unauthenticated(f"The token is longer than {MAX_TOKEN_BYTES} bytes.")
        try:
            header = jwt.get_unverified_header(token)
            issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
        except jwt.InvalidTokenError as error:
            raise Unauthenticated(f"The token is not valid: {error}.") from None
        if issuer not in self.issuers and issuer not in SERVICES:
            raise Unauthenticated(f"The token's issuer {issuer!r} is not trusted here.")
        try:
            key = self.keyring.key(issuer, str(header.get("kid")))
            claims = jwt.decode(token, key, algorithms=[ALGORITHM], audience=AUDIENCE, issuer=issuer,
                                options={"require": ["exp", "iat", "sub", "iss", "aud", "jti"]})
        except Forged as forged:
            raise Unauthenticated(f"The token is not valid: {forged.reason}.") from None
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("The token has expired.") from None
        except jwt.InvalidTokenError as error:
            raise Unauthenticated(f"The token is not valid: {error}.") from None
        actor = actor_of(claims)
        if issuer in SERVICES and actor.role != "service":
            raise Unauthenticated(f"{issuer} may issue service tokens only, not {actor.role!r}.")
        return actor, claims["exp"], UUID(claims["jti"])


def actor_of(claims: dict) -> Actor:
    """The actor of verified claims; a claim of the wrong shape is refused by name."""
    def wrong(claim: str, shape: str):
        return Unauthenticated(f"The token's {claim!r} claim must be {shape}.")

    for claim in ("sub", "jti"):
        try:
            UUID(str(claims[claim]))
        except ValueError:
            raise wrong(claim, "a UUID") from None
    if claims.get("role") not in ROLES:
        raise wrong("role", f"one of {', '.join(sorted(ROLES))}")
    if not isinstance(claims.get("name", ""), str):
        raise wrong("name", "text")
    region = claims.get("region")
    parts = 1 if claims["role"] == "city_government" else 2  # a city government: its city alone
    if region is not None and not (isinstance(region, list) and len(region) == parts
                                   and all(isinstance(part, str) and part for part in region)):
        raise wrong("region", "a list of the city alone" if parts == 1 else "a list of a city and a county")
    org = claims.get("org")
    if org is not None and not isinstance(org, str):
        raise wrong("org", "text")
    bases = claims.get("bases", [])
    if not isinstance(bases, list) or not all(isinstance(b, str) for b in bases):
        raise wrong("bases", "a list of base ids (UUIDs)")
    try:
        base_ids = tuple(UUID(b) for b in bases)
    except ValueError:
        raise wrong("bases", "a list of base ids (UUIDs)") from None
    if not all(isinstance(claims[c], int) and not isinstance(claims[c], bool) for c in ("exp", "iat")):
        raise wrong("exp", "a number of seconds")
    return Actor(id=UUID(claims["sub"]), role=claims["role"], name=claims.get("name", ""),
                 region=tuple(region) if region else None, org=org, base_ids=base_ids)


def bearer(header: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header."""
    if not header:
        raise Unauthenticated("Authentication required: send Authorization: Bearer <token>.")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("The Authorization header must be 'Bearer <token>'.")
    return token.strip()
