"""The console's accounts, passwords, words and settings: pure rules, no store."""

import secrets
from datetime import datetime, timedelta, timezone
from uuid import uuid4

import pytest

from services.backbone.config import ConfigError
from services.backbone.kernel.context import Context
from services.backbone.kernel.errors import BadRequest, RuleViolation
from services.console.domain import Account, checked_scope
from services.console.identity import service_token
from services.console.passwords import check_new_password, hash_password, matches
from services.console.rendering import beijing, cell, money, word
from services.console.schemas import form_errors
from services.backbone.config import load_config
from services.backbone.settings import Settings
from services.console.settings import api_urls
from tests.support.settings import settings_of

CTX = Context(uuid4(), "admin", "张管理", uuid4())


def account(role="county_government", scope=None, username="li.county") -> Account:
    scope = scope if scope is not None else {"region": {"city": "吕梁市", "county": "孝义市"}}
    return Account(username=username, name="李县长", organisation="孝义市人民政府", role=role,
                   scope=checked_scope(role, scope), password_hash="h", ctx=CTX)


def test_a_county_government_needs_a_city_of_shanxi_and_a_county():
    with pytest.raises(BadRequest) as refused:
        checked_scope("county_government", {"region": {"city": "太原", "county": ""}})
    assert set(refused.value.fields) == {"region.city", "region.county"}


def test_a_role_keeps_only_the_scope_it_has():
    assert checked_scope("drc", {"department": "x", "region": {"city": "太原市"}}) == {}
    assert checked_scope("department", {"department": " 教育厅 "}) == {"department": "教育厅"}
    with pytest.raises(BadRequest):
        checked_scope("service", {})  # the platform's own role is nobody's account


def test_login_names_are_one_account_whatever_their_case_or_spaces():
    assert Account.create_id(" Li.County ") == Account.create_id("li.county")


def test_an_evaluators_account_is_its_evaluator_to_the_services():
    evaluator_id = uuid4()
    person = account("evaluator", {"evaluator_id": str(evaluator_id)}, username="expert")
    assert person.actor_id == evaluator_id and person.as_actor().id == evaluator_id
    assert account().actor_id == account().id


def test_the_service_token_carries_the_accounts_role_and_scope_for_minutes():
    import jwt
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from services.backbone.web.tokens import TokenVerifier
    from services.contracts.signing import Keyring, Signer

    console = Signer("console", Ed25519PrivateKey.generate())
    person = account()
    token = service_token(person, console, timedelta(minutes=5))
    verifier = TokenVerifier(Keyring({"console": {console.key_id: console.private_key.public_key()}}), ["console"])
    actor = verifier.verify(token)
    assert (actor.id, actor.role, actor.region) == (person.id, "county_government", ("吕梁市", "孝义市"))
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 300 and claims["iss"] == "console"


def test_nobody_disables_the_account_they_are_signed_in_with():
    admin = account("admin", {})
    with pytest.raises(RuleViolation):
        admin.disable(reason="x", by=admin.id, ctx=CTX)
    assert admin.disable(reason="left", by=uuid4(), ctx=CTX) is True
    assert admin.disable(reason="again", by=uuid4(), ctx=CTX) is False
    with pytest.raises(RuleViolation):
        admin.reset_password(password_hash="h2", ctx=CTX)


def test_a_change_that_changes_nothing_records_nothing():
    person = account()
    version = person.version
    assert person.change(name=person.name, organisation=person.organisation, role=person.role,
                         scope=person.scope, ctx=CTX) is False
    assert person.version == version
    assert person.change(name="王县长", organisation=person.organisation, role=person.role,
                         scope=person.scope, ctx=CTX) is True


def test_passwords_are_argon2id_and_a_new_one_meets_the_policy():
    hashed = hash_password("Correct-horse-9")
    assert hashed.startswith("$argon2id$") and matches(hashed, "Correct-horse-9")
    assert not matches(hashed, "correct-horse-9") and not matches("not a hash", "x")
    for weak in ("short1", "onlyletterslong", "12345678901", "li.county12"[:0] + "Li.County"):
        with pytest.raises(BadRequest) as refused:
            check_new_password(weak, username="li.county")
        assert "new_password" in refused.value.fields
    check_new_password("Correct-horse-9", username="li.county")


def test_times_are_shown_in_beijing_time_and_money_in_yuan_never_rounded():
    assert beijing(datetime(2017, 9, 7, 6, 30, tzinfo=timezone.utc)) == "2017年9月7日 14:30"
    assert beijing("2017-12-31T16:05:00+00:00") == "2018年1月1日 00:05"
    with pytest.raises(ValueError):
        beijing(datetime(2017, 9, 7, 6, 30))
    assert money("1800000.00") == "1,800,000.00 元"
    assert money("1800000") == "1,800,000.00 元"
    assert money("0.125") == "0.125 元"


def test_codes_are_shown_in_the_vocabularys_words():
    assert word("warned", "statuses") == "警示整改" and word("admin", "roles") == "系统管理员"
    assert word("something_new", "statuses") == "something_new"
    assert 'badge-amber' in cell("warned", "status") and "警示整改" in cell("warned", "status")
    assert 'badge-green' in cell("retained", "status") and 'badge-red' in cell("revoked", "status")
    assert 'badge-blue' in cell("recommended_national", "status")
    assert cell("<b>", "name") == "&lt;b&gt;"


def test_field_errors_are_keyed_by_the_forms_field_names():
    assert form_errors({"region.city": ["x"], "contacts": {"0": {"phone": ["y"]}}}) == \
        {"city": ["x"], "phone": ["y"]}


def test_console_settings_name_what_is_missing_and_find_each_service():
    config = load_config("test", environ={"SC_AUTH__SECRET": "x" * 48})
    del config["console"]["lockout"]
    with pytest.raises(ConfigError, match="console.lockout"):
        Settings.from_dict(config)
    settings = settings_of({"services": {"host": "0.0.0.0", **{s: {"http_port": 8000 + i} for i, s in enumerate(
        ("registry", "evaluation", "funding", "notifications"))}}, "console": {"api": {"funding": "http://funding:8000/"}}})
    urls = api_urls(settings)
    assert urls["registry"] == "http://127.0.0.1:8000" and urls["funding"] == "http://funding:8000"


def test_every_environment_configures_the_console():
    from services.backbone.settings import load_settings
    for environment in ("local", "test", "production"):
        settings = load_settings(environment, environ={
            "SC_AUTH__SECRET": secrets.token_urlsafe(32), "SC_STORE__CIPHER_KEY": secrets.token_urlsafe(32),
            "SC_NOTIFICATIONS__SMTP__HOST": "h", "SC_NOTIFICATIONS__SMTP__SENDER": "s"})
        assert settings.console.lockout.account_failures > 0 and settings.services.port("console") == 8100
        assert settings.console.cookie_secure is (environment == "production")
