"""Configuration comes from YAML, every value overridable from the environment; the local
secret's file; tokens are in test_tokens.py."""

import os
import secrets
import stat

import pytest

from services.backbone.config import ConfigError, load_config, local_secret
from tests.support.settings import settings_of



def test_environment_variables_override_any_value_with_its_type():
    config = load_config("test", environ={"SC_CONSUMER__MAX_ATTEMPTS": "9",
                                          "SC_STORE__BACKEND": "postgres",
                                          "SC_STORE__POSTGRES__PORT": "6543",
                                          "SC_AUTH__SECRET": "x" * 32})
    assert config["consumer"]["max_attempts"] == 9
    assert config["store"]["backend"] == "postgres"
    assert config["store"]["postgres"]["port"] == 6543


def test_outside_local_runs_a_missing_secret_is_an_error():
    with pytest.raises(ConfigError, match="SC_AUTH__SECRET"):
        load_config("test", environ={})


def test_production_refuses_to_start_without_its_own_keys():
    secret, key = secrets.token_urlsafe(32), secrets.token_hex(32)
    with pytest.raises(ConfigError, match="SC_AUTH__SECRET"):
        load_config("production", environ={})
    with pytest.raises(ConfigError, match="SC_STORE__CIPHER_KEY"):
        load_config("production", environ={"SC_AUTH__SECRET": secret})
    config = load_config("production", environ={"SC_AUTH__SECRET": secret, "SC_STORE__CIPHER_KEY": key})
    assert config["store"]["cipher_key"] == key


@pytest.mark.parametrize("weak, says", [
    ("a", "1 characters long"), ("s" * 48, "repeats"), ("abc123" * 8, "repeats"),
    ("0123456789abcdefghijklmnopqrstu", "31 characters long"),
    ("password1234" * 3, "repeats")])
def test_production_takes_only_keys_of_at_least_32_random_bytes(weak, says):
    """SC_AUTH__SECRET=a was accepted: anyone could sign any token."""
    strong = secrets.token_urlsafe(32)
    for variable in ("SC_AUTH__SECRET", "SC_STORE__CIPHER_KEY"):
        with pytest.raises(ConfigError, match=variable) as refused:
            load_config("production", environ={"SC_AUTH__SECRET": strong, "SC_STORE__CIPHER_KEY": strong,
                                               variable: weak})
        assert says in str(refused.value) and "32 random bytes" in str(refused.value)
        assert "token_urlsafe" in str(refused.value)


def test_a_local_secret_is_made_readable_by_its_owner_only_and_a_readable_one_refused(tmp_path):
    path = tmp_path / "var" / "secret"
    made = local_secret(path)
    assert len(made) >= 32 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert local_secret(path) == made and [p.name for p in path.parent.iterdir()] == ["secret"]
    path.chmod(0o644)
    with pytest.raises(ConfigError, match=f"chmod 600 {path}"):
        local_secret(path)


def test_a_local_secret_is_never_on_disk_readable_by_others_even_while_written(tmp_path, monkeypatch):
    """It was written world-readable, then chmod'ed: a reader in between had it."""
    seen = []
    real_link = os.link

    def link(source, target):
        seen.append(stat.S_IMODE(os.stat(source).st_mode))
        return real_link(source, target)

    monkeypatch.setattr(os, "link", link)
    previous = os.umask(0o022)  # the usual one, under which write_text made it 0644
    try:
        local_secret(tmp_path / "secret")
    finally:
        os.umask(previous)
    assert seen == [0o600]


def test_elsewhere_the_store_key_is_derived_from_the_auth_secret():
    one = load_config("test", environ={"SC_AUTH__SECRET": "a" * 48})["store"]["cipher_key"]
    again = load_config("test", environ={"SC_AUTH__SECRET": "a" * 48})["store"]["cipher_key"]
    other = load_config("test", environ={"SC_AUTH__SECRET": "b" * 48})["store"]["cipher_key"]
    assert one == again != other and "a" * 48 not in one


def overridden(**variables) -> dict:
    return load_config("test", environ={"SC_AUTH__SECRET": "x" * 32, **variables})


@pytest.mark.parametrize("raw", ["0777", "no", "null", "s3cret #1", "*abc", "@abc", "&anchor",
                                 "[1, 2]", "{a: b}", "yes", "~", " padded ", "a: b"])
def test_a_string_setting_takes_the_variable_as_it_is_not_as_yaml(raw):
    config = overridden(SC_STORE__POSTGRES__PASSWORD=raw, SC_AUTH__SECRET=raw,
                        SC_STORE__CIPHER_KEY=raw, SC_BROKER__NAMESPACE=raw)
    assert config["store"]["postgres"]["password"] == raw
    assert config["auth"]["secret"] == raw
    assert config["store"]["cipher_key"] == raw
    assert config["broker"]["namespace"] == raw


def test_a_setting_the_yaml_does_not_have_is_the_raw_string():
    assert overridden(SC_NEW__THING="0777")["new"]["thing"] == "0777"


def test_numbers_booleans_and_lists_take_the_type_of_the_value_they_replace():
    config = overridden(SC_CONSUMER__MAX_ATTEMPTS="0777", SC_RELAY__POLL_INTERVAL_SECONDS="2",
                        SC_NOTIFICATIONS__ATTEMPT_LEASE_SECONDS="1.5",
                        SC_NOTIFICATIONS__WEBHOOK__REQUIRE_HTTPS="yes",
                        SC_NOTIFICATIONS__SMTP__STARTTLS="False",
                        SC_STORE__ENCRYPTED_SERVICES="notifications, registry")
    assert config["consumer"]["max_attempts"] == 777 and type(config["consumer"]["max_attempts"]) is int
    assert config["relay"]["poll_interval_seconds"] == 2.0
    assert type(config["relay"]["poll_interval_seconds"]) is float
    assert config["notifications"]["attempt_lease_seconds"] == 1.5  # whole seconds in the YAML
    assert config["notifications"]["webhook"]["require_https"] is True
    assert config["notifications"]["smtp"]["starttls"] is False
    assert config["store"]["encrypted_services"] == ["notifications", "registry"]
    assert overridden(SC_STORE__ENCRYPTED_SERVICES="")["store"]["encrypted_services"] == []


@pytest.mark.parametrize("variable, raw, says", [
    ("SC_CONSUMER__MAX_ATTEMPTS", "five", "not a number"),
    ("SC_CONSUMER__MAX_ATTEMPTS", "", "not a number"),
    ("SC_RELAY__POLL_INTERVAL_SECONDS", "1s", "not a number"),
    ("SC_NOTIFICATIONS__WEBHOOK__REQUIRE_HTTPS", "maybe", "not a boolean"),
    ("SC_NOTIFICATIONS__SMTP", "mail.example", "names a section"),
    ("SC_STORE__BACKEND__KIND", "x", "store.backend is a value"),
])
def test_a_value_its_setting_cannot_take_stops_the_start_naming_the_variable(variable, raw, says):
    with pytest.raises(ConfigError, match=variable) as refused:
        overridden(**{variable: raw})
    assert says in str(refused.value)


def test_broker_credentials_of_any_characters_reach_both_urls_encoded():
    from kombu import Connection

    from services.backbone.messaging.broker import management_api

    password = "p@ss/w#rd?&:%"
    config = overridden(SC_BROKER__URL="amqp://rabbitmq:5672/", SC_BROKER__USERNAME="运维 user",
                        SC_BROKER__PASSWORD=password,
                        SC_BROKER__MANAGEMENT_URL="http://old:creds@rabbitmq:15672")
    amqp = Connection(config["broker"]["url"])  # as kombu reads it to connect (it does not, here)
    assert (amqp.hostname, amqp.port, amqp.userid, amqp.password) == ("rabbitmq", 5672, "运维 user", password)
    api = management_api(settings_of(config))
    assert api.base == "http://rabbitmq:15672" and api.auth == ("运维 user", password)
    assert api.vhost == "/"
    with pytest.raises(ConfigError, match="SC_BROKER__USERNAME"):
        overridden(SC_BROKER__PASSWORD=password)
