"""Envelopes signed by their source, so that only a source can speak for itself.

A source signs every envelope it publishes or serves with its own Ed25519 private key,
over the envelope's canonical JSON (keys sorted, no spaces, UTF-8; the ``signature``
member left out). Consumers hold only public keys, by source and key id, so a consumer
that is compromised cannot speak for a source; during a key rotation a source's old and
new keys are both trusted. A department verifies the same way (docs/events.md).
"""

import base64
import hashlib
import json
from typing import Any, Mapping

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALGORITHM = "Ed25519"


class Forged(Exception):
    """A message that does not carry a valid signature of the source it names."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def canonical(message: Mapping[str, Any]) -> bytes:
    """The bytes a signature covers: the message without its ``signature``."""
    unsigned = {key: value for key, value in message.items() if key != "signature"}
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def public_key_text(key: Ed25519PublicKey) -> str:
    """A public key as it is written in configuration: its 32 raw bytes in base64."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def public_key_from_text(text: str) -> Ed25519PublicKey:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as error:
        raise ValueError(f"not an Ed25519 public key in base64 ({error})") from None


def key_id(key: Ed25519PublicKey) -> str:
    """A key's id: the first 16 hex digits of the SHA-256 of its raw bytes."""
    return hashlib.sha256(base64.b64decode(public_key_text(key))).hexdigest()[:16]


class Signer:
    """Signs as one party (a source service, or a token issuer) with its private key."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey):
        self.name = name
        self.private_key = private_key
        self.key_id = key_id(private_key.public_key())

    def sign_bytes(self, data: bytes) -> str:
        return base64.b64encode(self.private_key.sign(data)).decode("ascii")

    def sign(self, message: dict[str, Any]) -> dict[str, Any]:
        """The message with its ``signature``: algorithm, key id and value."""
        value = self.sign_bytes(canonical(message))
        return {**message, "signature": {"alg": ALGORITHM, "key_id": self.key_id, "value": value}}


class Keyring:
    """The public keys trusted for each party: ``{name: {key_id: key}}``."""

    def __init__(self, keys: Mapping[str, Mapping[str, Ed25519PublicKey]]):
        self.keys = {name: dict(by_id) for name, by_id in keys.items()}

    def key(self, name: str, kid: str) -> Ed25519PublicKey:
        try:
            return self.keys[name][kid]
        except KeyError:
            known = ", ".join(self.keys.get(name, {})) or "none"
            raise Forged(f"key {kid!r} is not a key of {name} (trusted: {known})") from None

    def verify_bytes(self, name: str, kid: str, data: bytes, signature: str) -> None:
        try:
            self.key(name, kid).verify(base64.b64decode(signature, validate=True), data)
        except (InvalidSignature, ValueError):
            raise Forged(f"the signature is not {name}'s") from None

    def verify(self, message: Any, source: str) -> None:
        """Raises ``Forged`` unless ``message`` names ``source`` and carries a valid
        signature by one of ``source``'s trusted keys."""
        if not isinstance(message, dict):
            raise Forged("the message is not a JSON object")
        if message.get("source") != source:
            raise Forged(f"the message names {message.get('source')!r} as its source, not {source}")
        signature = message.get("signature")
        if not isinstance(signature, dict) or signature.get("alg") != ALGORITHM:
            raise Forged(f"the message is not signed ({ALGORITHM} signature expected)")
        kid, value = signature.get("key_id"), signature.get("value")
        if not isinstance(kid, str) or not isinstance(value, str):
            raise Forged("the signature has no key id or value")
        self.verify_bytes(source, kid, canonical(message), value)
