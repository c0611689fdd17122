"""Each party's key, and each service's broker user with only what it needs."""

import re
import stat

import pytest

from services.backbone.config import ConfigError
from services.backbone.keys import load_keys, new_private_key_pair
from services.backbone.messaging.broker_users import as_service, broker_user, permissions
from tests.support.settings import settings_of


def settings(tmp_path, **signing):
    return settings_of({"signing": {"keys_dir": str(tmp_path / "keys"), **signing}})


def test_local_key_pairs_are_made_once_and_private_keys_are_not_readable_by_others(tmp_path):
    first = load_keys(settings(tmp_path), "registry")
    again = load_keys(settings(tmp_path), "registry")
    assert first.signer.key_id == again.signer.key_id
    for path in (tmp_path / "keys").iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700
    assert set(first.keyring.keys) >= {"registry", "evaluation", "funding", "notifications", "console", "cli"}


def test_a_private_key_others_may_read_is_refused(tmp_path):
    load_keys(settings(tmp_path), "registry")
    (tmp_path / "keys" / "registry.key").chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        load_keys(settings(tmp_path), "registry")


def test_without_key_files_a_process_needs_its_own_key_and_trusts_the_configured_ones():
    with pytest.raises(ConfigError, match="SC_SIGNING__PRIVATE_KEY"):
        load_keys(settings_of({"signing": {"keys_dir": ""}}), "evaluation")
    private, public = new_private_key_pair()
    old_private, old_public = new_private_key_pair()
    keys = load_keys(settings_of({"signing": {"keys_dir": "", "private_key": private,
                                              "public_keys": {"evaluation": f"{public},{old_public}"}}}),
                     "evaluation")
    assert len(keys.keyring.keys["evaluation"]) == 2  # a rotation: both trusted
    assert keys.signer.key_id in keys.keyring.keys["evaluation"]


def test_a_public_key_that_is_not_one_is_refused_with_its_setting():
    with pytest.raises(ConfigError, match="signing.public_keys.funding"):
        load_keys(settings_of({"signing": {"keys_dir": "", "public_keys": {"funding": "not-a-key"}}}), None)


def test_each_service_may_write_only_to_its_own_exchanges_and_read_only_its_own_queues():
    config = settings_of({})
    rules = {s: {k: re.compile(v) for k, v in permissions(config, s).items()} for s in ("registry", "notifications")}
    notifications = rules["notifications"]
    assert notifications["write"].match("sc.notifications.replay")
    assert notifications["write"].match("sc.dead-letter")
    assert not notifications["write"].match("sc.evaluation.events")
    assert not notifications["write"].match("amq.default")
    assert notifications["read"].match("sc.notifications.from.evaluation")
    assert notifications["read"].match("sc.notifications.from.evaluation.dlq")
    assert not notifications["read"].match("sc.registry.from.evaluation")
    assert not notifications["configure"].match("sc.notifications.from.evaluation")  # declared by broker-init
    assert rules["registry"]["write"].match("sc.registry.events")
    assert notifications["configure"].match("rpc-notifications") and not notifications["configure"].match("rpc-registry")


def test_a_service_connects_as_its_own_user_and_production_names_it():
    local = settings_of({"broker": {"url": "amqp://guest:guest@127.0.0.1:5672/"}})
    registry = as_service(local, "registry")
    assert registry.broker.url.startswith("amqp://sc-registry:") and "guest" not in registry.broker.url
    assert broker_user(settings_of({"broker": {"url": "amqp://guest:guest@h:5672/run-1"}}), "funding") == "run-1-sc-funding"
    wrong = settings_of({"broker": {"username": "sc-registry", "password": "p"}})
    with pytest.raises(ConfigError, match="SC_BROKER__USERNAME"):
        as_service(wrong, "funding")
