"""Signed envelopes: only the holder of a source's key speaks for that source."""

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.contracts import load_event
from services.contracts.docs import example_message
from services.contracts.signing import Forged, Keyring, Signer, key_id

EVALUATION = Signer("evaluation", Ed25519PrivateKey.generate())
REGISTRY = Signer("registry", Ed25519PrivateKey.generate())


def keyring(*signers: Signer) -> Keyring:
    keys: dict = {}
    for signer in signers:
        public = signer.private_key.public_key()
        keys.setdefault(signer.name, {})[key_id(public)] = public
    return Keyring(keys)


def unsigned() -> dict:
    message = dict(example_message())
    message.pop("signature")
    return message


def test_a_signed_envelope_verifies_and_still_loads_as_an_event():
    message = EVALUATION.sign(unsigned())
    keyring(EVALUATION).verify(message, "evaluation")
    assert load_event(message).signed == message


@pytest.mark.parametrize("tamper", [
    lambda m: m["payload"].__setitem__("to_status", "revoked"),
    lambda m: m.__setitem__("position", m["position"] + 500),
    lambda m: m.__setitem__("previous_position", None),
    lambda m: m["actor"].__setitem__("role", "ops"),
])
def test_any_change_after_signing_is_refused(tamper):
    message = EVALUATION.sign(unsigned())
    changed = {**message, "payload": dict(message["payload"]), "actor": dict(message["actor"])}
    tamper(changed)
    with pytest.raises(Forged, match="signature is not evaluation's"):
        keyring(EVALUATION).verify(changed, "evaluation")


def test_an_unsigned_envelope_is_refused():
    with pytest.raises(Forged, match="not signed"):
        keyring(EVALUATION).verify(unsigned(), "evaluation")


def test_a_consumer_or_another_source_cannot_sign_for_a_source():
    """The registry's real key, claiming evaluation's event: not evaluation's key."""
    forged = Signer("evaluation", REGISTRY.private_key).sign(unsigned())
    with pytest.raises(Forged, match="is not a key of evaluation"):
        keyring(EVALUATION, REGISTRY).verify(forged, "evaluation")


def test_a_message_naming_another_source_is_refused_by_the_queue_of_this_one():
    message = REGISTRY.sign({**unsigned(), "source": "registry"})
    with pytest.raises(Forged, match="names 'registry' as its source, not evaluation"):
        keyring(EVALUATION, REGISTRY).verify(message, "evaluation")


def test_during_a_rotation_old_and_new_keys_are_both_accepted():
    newer = Signer("evaluation", Ed25519PrivateKey.generate())
    both = keyring(EVALUATION, newer)
    both.verify(EVALUATION.sign(unsigned()), "evaluation")
    both.verify(newer.sign(unsigned()), "evaluation")
    with pytest.raises(Forged):
        keyring(newer).verify(EVALUATION.sign(unsigned()), "evaluation")  # once the old one is dropped


def test_the_documented_example_is_signed_by_the_example_key():
    from services.contracts.docs import EXAMPLE_SIGNER

    keyring(EXAMPLE_SIGNER).verify(example_message(), "evaluation")
