"""Who signs what: each service, the console and ``sc`` hold an Ed25519 key of their own.

A service signs the envelopes it publishes and the tokens it calls other services with;
the console and ``sc`` sign people's and machines' tokens. Every process trusts the
public keys of ``signing.public_keys`` (several per party during a rotation). Locally
(``signing.keys_dir`` set) each party's key pair is made on first use, the private key
0600; in production each process is given its own private key and everyone's public keys.
"""

import os
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nameko.extensions import SharedExtension

from services.backbone.config import ConfigError, resolve_path
from services.backbone.settings import Settings
from services.contracts.signing import (Keyring, Signer, key_id, public_key_from_text,
                                        public_key_text)
from services.contracts.vocabulary import SERVICES

ISSUERS = ("console", "cli")  # who signs tokens for people and machines
PARTIES = tuple(SERVICES) + ("console",) + ISSUERS[1:]


@dataclass(frozen=True)
class Keys:
    """This process's own signer (None if it signs nothing) and the keys it trusts."""

    signer: Signer | None
    keyring: Keyring


def load_keys(settings: Settings, identity: str | None) -> Keys:
    """The keys of the process that acts as ``identity`` (a service, ``console`` or
    ``cli``); a missing key stops the start with what to set."""
    signing = settings.signing
    trusted: dict[str, dict] = {}
    own = None
    if signing.keys_dir:
        directory = resolve_path(signing.keys_dir)
        for party in PARTIES:
            private = _local_key_pair(directory, party)
            trusted.setdefault(party, {})[key_id(private.public_key())] = private.public_key()
            if party == identity:
                own = private
    for party, texts in signing.public_keys.items():
        for text in filter(None, (t.strip() for t in texts.split(","))):
            try:
                key = public_key_from_text(text)
            except ValueError as error:
                raise ConfigError(f"signing.public_keys.{party}: {error}") from None
            trusted.setdefault(party, {})[key_id(key)] = key
    if signing.private_key:
        own = _private_key_from_pem(signing.private_key)
    if identity is not None and own is None:
        raise ConfigError(f"no signing key for {identity}: set SC_SIGNING__PRIVATE_KEY (its "
                          "Ed25519 private key, PEM; `sc keys new` makes one)")
    return Keys(Signer(identity, own) if own is not None else None, Keyring(trusted))


def new_private_key_pair() -> tuple[str, str]:
    """A new key pair: the private key as PEM and the public key as configured."""
    private = Ed25519PrivateKey.generate()
    return _pem(private).decode("ascii"), public_key_text(private.public_key())


def _local_key_pair(directory: Path, party: str) -> Ed25519PrivateKey:
    """``party``'s key in ``directory``, made when missing (created 0600 at once, so it is
    never readable by others, and by one process when several start together)."""
    path = directory / f"{party}.key"
    if not path.exists():
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it meanwhile
            pass
        else:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(_pem(Ed25519PrivateKey.generate()))
    if path.stat().st_mode & 0o077:
        raise ConfigError(f"{path} may be read by others: chmod 600 {path}")
    for _ in range(50):  # a key being written by another process is complete soon
        data = path.read_bytes()
        if data.endswith(b"-----END PRIVATE KEY-----\n"):
            return _private_key_from_pem(data.decode("ascii"))
        time.sleep(0.01)
    raise ConfigError(f"{path} is not an Ed25519 private key (PEM)")


def _pem(private: Ed25519PrivateKey) -> bytes:
    return private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())


def _private_key_from_pem(text: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(text.encode("ascii"), password=None)
    except (ValueError, TypeError) as error:
        raise ConfigError(f"the signing key is not a PEM private key ({error})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError("the signing key is not an Ed25519 key")
    return key


class ServiceKeys(SharedExtension):
    """The keys of the service a container runs, loaded once and shared by its relay, its
    subscriptions and its entrypoints."""

    def setup(self):
        self.keys = load_keys(self.container.config["PLATFORM"], self.container.service_name)

    @property
    def signer(self) -> Signer:
        return self.keys.signer

    @property
    def keyring(self) -> Keyring:
        return self.keys.keyring
