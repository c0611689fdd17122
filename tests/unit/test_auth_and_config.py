"""Tokens name the actor, role and scope and are refused when forged or expired;
config comes from YAML with every value overridable from the environment."""

import time
from datetime import datetime, timedelta, timezone
from uuid import uuid4

import jwt
import pytest

from services.backbone.web.tokens import ALGORITHM, ISSUER, authenticate, issue_token, verify_token
from services.backbone.config import ConfigError, load_config
from tests.support.settings import settings_of
from services.backbone.kernel.errors import Forbidden, Unauthenticated

SECRET = "s" * 32


def test_a_token_carries_role_and_scope():
    base = uuid4()
    token = issue_token(SECRET, role="county_government", name="孝义市人民政府",
                        region=("吕梁市", "孝义市"), base_ids=[base])
    actor = verify_token(SECRET, token)
    assert actor.role == "county_government"
    assert actor.governs({"city": "吕梁市", "county": "孝义市"})
    assert not actor.governs({"city": "吕梁市", "county": "离石区"})
    assert actor.speaks_for(base)


def test_a_token_signed_with_another_secret_is_refused():
    token = issue_token("another-secret-of-enough-length!", role="drc")
    with pytest.raises(Unauthenticated):
        verify_token(SECRET, token)


def test_an_expired_token_is_refused():
    token = issue_token(SECRET, role="drc", ttl=timedelta(hours=1),
                        now=datetime.now(timezone.utc) - timedelta(hours=2))
    with pytest.raises(Unauthenticated, match="expired"):
        verify_token(SECRET, token)


def test_missing_header_and_wrong_scheme_are_unauthenticated():
    with pytest.raises(Unauthenticated):
        authenticate(SECRET, None, None)
    with pytest.raises(Unauthenticated):
        authenticate(SECRET, "Basic abc", None)


def test_a_role_outside_the_allowed_ones_is_forbidden():
    header = f"Bearer {issue_token(SECRET, role='evaluator')}"
    with pytest.raises(Forbidden, match="evaluator"):
        authenticate(SECRET, header, ("drc",))
    assert authenticate(SECRET, header, ("evaluator",)).role == "evaluator"


@pytest.mark.parametrize("claim, value", [
    ("region", "太原市小店区"), ("region", ["太原市"]), ("region", [1, 2]), ("bases", str(uuid4())),
    ("bases", ["山西大学"]), ("name", 7), ("org", ["山西省科学技术厅"]), ("role", "emperor"), ("sub", "山西大学"),
])
def test_a_token_whose_claim_has_the_wrong_shape_is_refused_naming_the_claim(claim, value):
    now = int(time.time())
    claims = {"iss": ISSUER, "sub": str(uuid4()), "role": "county_government", "name": "小店区人民政府",
              "region": ["太原市", "小店区"], "iat": now, "exp": now + 3600, claim: value}
    with pytest.raises(Unauthenticated) as refused:
        verify_token(SECRET, jwt.encode(claims, SECRET, algorithm=ALGORITHM))
    assert set(refused.value.fields) == {claim} and claim in refused.value.message


def test_unknown_roles_cannot_be_issued():
    with pytest.raises(ValueError):
        issue_token(SECRET, role="emperor")


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


def test_a_token_accepted_once_is_still_refused_once_it_expires(monkeypatch):
    """Verified tokens are remembered (the signature is checked once), but never past
    their expiry."""
    from types import SimpleNamespace

    from services.backbone.web import tokens as auth

    token = issue_token(SECRET, role="drc", ttl=timedelta(minutes=5))
    assert verify_token(SECRET, token).role == "drc"
    later = time.time() + 301
    monkeypatch.setattr(auth, "time", SimpleNamespace(time=lambda: later))
    with pytest.raises(Unauthenticated, match="expired"):
        verify_token(SECRET, token)


def test_production_refuses_to_start_without_its_own_keys():
    with pytest.raises(ConfigError, match="SC_AUTH__SECRET"):
        load_config("production", environ={})
    with pytest.raises(ConfigError, match="SC_STORE__CIPHER_KEY"):
        load_config("production", environ={"SC_AUTH__SECRET": "s" * 48})
    config = load_config("production", environ={"SC_AUTH__SECRET": "s" * 48,
                                                "SC_STORE__CIPHER_KEY": "k" * 48})
    assert config["store"]["cipher_key"] == "k" * 48


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
                        SC_NOTIFICATIONS__WEBHOOK__ALLOW_PRIVATE_DESTINATIONS="False",
                        SC_STORE__ENCRYPTED_SERVICES="notifications, registry")
    assert config["consumer"]["max_attempts"] == 777 and type(config["consumer"]["max_attempts"]) is int
    assert config["relay"]["poll_interval_seconds"] == 2.0
    assert type(config["relay"]["poll_interval_seconds"]) is float
    assert config["notifications"]["attempt_lease_seconds"] == 1.5  # whole seconds in the YAML
    assert config["notifications"]["webhook"]["require_https"] is True
    assert config["notifications"]["webhook"]["allow_private_destinations"] is False
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
