"""Tokens: signed by an issuer's own key, checked with public keys only, for this
platform, of the right shape, unexpired and not revoked."""

import time
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from uuid import UUID, uuid4

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.backbone.kernel.errors import Forbidden, Unauthenticated
from services.backbone.web import tokens
from services.backbone.web.tokens import AUDIENCE, TokenVerifier, issue_token, token_id
from services.contracts.signing import Keyring, Signer

CLI = Signer("cli", Ed25519PrivateKey.generate())
CONSOLE = Signer("console", Ed25519PrivateKey.generate())
REGISTRY = Signer("registry", Ed25519PrivateKey.generate())


def verifier(*signers, issuers=("console", "cli"), revoked=lambda jti: False) -> TokenVerifier:
    keys = {}
    for signer in signers or (CLI, CONSOLE, REGISTRY):
        keys.setdefault(signer.name, {})[signer.key_id] = signer.private_key.public_key()
    return TokenVerifier(Keyring(keys), issuers, revoked)


def forged(claims: dict, signer: Signer = CLI) -> str:
    now = int(time.time())
    base = {"iss": signer.name, "aud": AUDIENCE, "sub": str(uuid4()), "jti": str(uuid4()),
            "role": "drc", "name": "x", "iat": now, "exp": now + 600}
    return jwt.encode({**base, **claims}, signer.private_key, algorithm="EdDSA", headers={"kid": signer.key_id})


def test_a_token_carries_role_and_scope():
    base = uuid4()
    token = issue_token(CLI, role="county_government", name="孝义市人民政府",
                        region=("吕梁市", "孝义市"), base_ids=[base])
    actor = verifier().verify(token)
    assert actor.role == "county_government" and actor.governs({"city": "吕梁市", "county": "孝义市"})
    assert not actor.governs({"city": "吕梁市", "county": "离石区"}) and actor.speaks_for(base)


def test_a_token_signed_by_a_key_not_trusted_for_its_issuer_is_refused():
    impostor = Signer("cli", Ed25519PrivateKey.generate())
    with pytest.raises(Unauthenticated, match="is not a key of cli"):
        verifier().verify(issue_token(impostor, role="drc"))


def test_a_service_holds_no_key_that_mints_a_persons_token():
    """A service's key signs service tokens only; an HS256 token with any secret is refused."""
    with pytest.raises(Unauthenticated, match="service tokens only"):
        verifier().verify(issue_token(REGISTRY, role="drc"))
    assert verifier().verify(issue_token(REGISTRY, role="service")).role == "service"
    hs256 = jwt.encode({"iss": "cli", "aud": AUDIENCE, "sub": str(uuid4()), "role": "drc"}, "s" * 32)
    with pytest.raises(Unauthenticated):
        verifier().verify(hs256)


def test_an_issuer_not_configured_here_is_refused():
    with pytest.raises(Unauthenticated, match="not trusted"):
        verifier(issuers=("cli",)).verify(issue_token(CONSOLE, role="drc"))


def test_a_token_for_another_audience_is_refused():
    with pytest.raises(Unauthenticated, match="not valid"):
        verifier().verify(forged({"aud": "another-platform"}))


@pytest.mark.parametrize("claim, value", [
    ("region", "吕梁市孝义市"), ("region", ["吕梁市"]), ("bases", "not-a-list"), ("bases", [1]),
    ("bases", ["not-a-uuid"]), ("name", 5), ("org", ["x"]), ("role", "emperor"), ("sub", "me"),
    ("jti", "7"),
])
def test_claims_of_the_wrong_shape_are_refused_by_name(claim, value):
    with pytest.raises(Unauthenticated, match=f"'{claim}' claim"):
        verifier().verify(forged({claim: value}))


def test_a_huge_token_is_refused_before_it_is_parsed():
    with pytest.raises(Unauthenticated, match="longer than"):
        verifier().verify("x" * 100_000)


def test_an_expired_token_is_refused():
    token = issue_token(CLI, role="drc", ttl=timedelta(hours=1), now=datetime.now(timezone.utc) - timedelta(hours=2))
    with pytest.raises(Unauthenticated, match="expired"):
        verifier().verify(token)


def test_a_token_accepted_once_is_still_refused_once_it_expires(monkeypatch):
    check = verifier()
    token = issue_token(CLI, role="drc", ttl=timedelta(minutes=5))
    assert check.verify(token).role == "drc"
    later = time.time() + 301
    monkeypatch.setattr(tokens, "time", SimpleNamespace(time=lambda: later))
    with pytest.raises(Unauthenticated, match="expired"):
        check.verify(token)


def test_a_revoked_token_is_refused_at_its_next_use_even_after_being_accepted():
    revoked: set[UUID] = set()
    check = verifier(revoked=revoked.__contains__)
    token = issue_token(CLI, role="ops")
    assert check.verify(token).role == "ops"
    revoked.add(token_id(token)[0])
    with pytest.raises(Unauthenticated, match="revoked"):
        check.verify(token)


def test_missing_header_wrong_scheme_and_wrong_role():
    check = verifier()
    with pytest.raises(Unauthenticated):
        check.authenticate(None, None)
    with pytest.raises(Unauthenticated):
        check.authenticate("Basic abc", None)
    header = f"Bearer {issue_token(CLI, role='evaluator')}"
    with pytest.raises(Forbidden, match="evaluator"):
        check.authenticate(header, ("drc",))
    assert check.authenticate(header, ("evaluator",)).role == "evaluator"


def test_unknown_roles_cannot_be_issued():
    with pytest.raises(ValueError):
        issue_token(CLI, role="emperor")
