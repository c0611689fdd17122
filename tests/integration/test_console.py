"""The console in a running container: sign-in and its lock-out, sessions that end,
CSRF, the 403/404/413 pages, and pages that read the services as the person."""

from uuid import uuid4

import pytest
import requests

from services.backbone.eventstore.audit import audit_entries
from services.backbone.eventstore.hash_chain import verify
from services.backbone.kernel.context import Actor, Context
from tests.support.console import PASSWORD, ConsoleClient

OPS = Context(uuid4(), "ops", "sc users add (ops)", uuid4())


@pytest.fixture
def console(platform):
    """The console running, with a first administrator signed in as ``admin``."""
    platform.start("console")
    app = platform.app("console")
    _, one_time = app.add_account(username="admin", name="张管理", organisation="省发展改革委",
                                  role="admin", scope={}, ctx=OPS)
    admin = ConsoleClient(platform.url("console"))
    admin.first_sign_in("admin", one_time)
    return admin


def person(platform, admin: ConsoleClient, username: str, role: str, **scope) -> ConsoleClient:
    _, one_time = admin.add_account(username=username, name=f"{username}的姓名", organisation="某单位",
                                    role=role, **scope)
    client = ConsoleClient(platform.url("console"))
    client.first_sign_in(username, one_time)
    return client


def test_a_new_account_must_change_its_one_time_password_before_anything_else(platform, console):
    _, one_time = console.add_account(username="li", name="李县长", organisation="孝义市人民政府",
                                      role="county_government", city="吕梁市", county="孝义市")
    li = ConsoleClient(platform.url("console"))
    li.sign_in("li", one_time)
    assert li.get("/todo").url.endswith("/password")
    wrong = li.post("/password", {"current_password": one_time, "new_password": "short",
                                  "repeat_password": "short"})
    assert wrong.status_code == 400 and "至少 10 个字符" in wrong.text
    li.post("/password", {"current_password": one_time, "new_password": PASSWORD, "repeat_password": PASSWORD})
    page = li.get("/todo")
    assert page.status_code == 200 and "待办事项" in page.text and "县（市、区）人民政府" in page.text


def test_field_errors_show_beside_their_fields_and_keep_what_was_typed(console):
    answer = console.post("/accounts", {"username": "wang", "name": "王主任", "organisation": "教育厅",
                                        "role": "county_government", "city": "太原", "county": ""})
    assert answer.status_code == 400
    assert "请选择山西省的一个设区市" in answer.text and "县级人民政府须填写县（市、区）" in answer.text
    assert 'value="王主任"' in answer.text and 'value="教育厅"' in answer.text
    taken = console.post("/accounts", {"username": "ADMIN", "name": "x", "organisation": "y", "role": "drc"})
    assert taken.status_code == 409 and "该用户名已被使用" in taken.text


def test_a_form_without_the_sessions_csrf_token_is_refused_and_changes_nothing(platform, console):
    answer = console.post("/accounts", {"username": "forged", "name": "x", "organisation": "y", "role": "drc"},
                          csrf="forged")
    assert answer.status_code == 403 and "表单已失效" in answer.text
    assert platform.app("console").account_named("forged") is None
    stranger = requests.post(platform.url("console", "/sign-in"),
                             data={"username": "admin", "password": PASSWORD, "csrf_token": "x"}, timeout=10)
    assert stranger.status_code == 403 and "sc_session" not in stranger.headers.get("Set-Cookie", "")


def test_a_page_the_role_may_not_open_is_the_403_page_without_its_data(platform, console):
    drc = person(platform, console, "drc1", "drc")
    answer = drc.get("/accounts")
    assert answer.status_code == 403 and "无权查看此页面" in answer.text and "admin" not in answer.text
    assert drc.get("/ops").status_code == 403
    assert drc.get("/no/such/page").status_code == 404


def test_an_oversized_form_is_refused_unread(platform, console):
    answer = console.post("/accounts", {"name": "x" * (11 * 1024 * 1024)})
    assert answer.status_code == 413 and "提交的内容过大" in answer.text


def test_disabling_an_account_ends_its_open_session_at_its_next_click(platform, console):
    account_id, one_time = console.add_account(username="zhao", name="赵处长", organisation="教育厅",
                                               role="department", department="教育厅")
    zhao = ConsoleClient(platform.url("console"))
    zhao.first_sign_in("zhao", one_time)
    console.get(f"/accounts/{account_id}")
    console.post(f"/accounts/{account_id}/disabling", {"reason": "调离岗位"})
    answer = zhao.get("/todo")
    assert answer.status_code == 401 and "账户已停用" in answer.text
    assert zhao.sign_in("zhao", PASSWORD).status_code == 401


def test_repeated_failures_lock_the_account_even_against_the_right_password(platform, console):
    limit = platform.config["console"]["lockout"]["account_failures"]
    guesser = ConsoleClient(platform.url("console"))
    for _ in range(limit - 1):
        assert guesser.sign_in("admin", "wrong password").status_code == 401
    assert guesser.sign_in("admin", "wrong password").status_code == 429
    locked = guesser.sign_in("admin", PASSWORD)
    assert locked.status_code == 429 and "已暂时锁定" in locked.text


def test_failures_from_one_address_lock_it_for_every_name(platform):
    platform.start("console")
    app = platform.app("console")
    app.add_account(username="sun", name="孙", organisation="x", role="drc", scope={}, ctx=OPS)
    from services.console.application import SignInRefused
    from services.console.identity import PasswordSignIn
    provider = PasswordSignIn(app.account_named)
    limit = app.settings.lockout.address_failures
    for number in range(limit):
        with pytest.raises(SignInRefused):
            app.sign_in(provider, {"username": f"guess{number}", "password": "x"}, "10.0.0.9")
    with pytest.raises(SignInRefused) as refused:
        app.sign_in(provider, {"username": "sun", "password": "x"}, "10.0.0.9")
    assert refused.value.reason == "locked"
    with pytest.raises(SignInRefused) as other_address:
        app.sign_in(provider, {"username": "sun", "password": "x"}, "10.0.0.10")
    assert other_address.value.reason == "wrong"


def test_an_idle_session_has_ended(platform, console):
    app = platform.app("console")
    clock = [1000.0]
    app.sessions.clock = lambda: clock[0]
    session = app.sessions.open(app.account_named("admin").id)
    clock[0] += app.settings.session_idle_minutes * 60 + 1
    from services.console.sessions import SessionExpired
    with pytest.raises(SessionExpired):
        app.sessions.find(session.token)


def test_who_changed_whom_is_in_the_audit_and_the_chain_but_never_a_password_hash(platform, console):
    account_id, _ = console.add_account(username="qian", name="钱", organisation="x", role="ops")
    console.get(f"/accounts/{account_id}")
    console.post(f"/accounts/{account_id}/password-reset")
    app = platform.app("console")
    entries = audit_entries(app, {}, Actor(uuid4(), "ops", "auditor"))
    kinds = [(entry["event"], entry["actor"]["name"]) for entry in entries]
    assert ("Account.Created", "张管理") in kinds and ("Account.PasswordReset", "张管理") in kinds
    assert all(entry["data"].get("password_hash") in (None, "[redacted]") for entry in entries)
    assert "$argon2id$" not in str(entries)
    assert verify(app).as_dict()["ok"] is True


def test_a_page_reads_the_services_as_the_person_and_says_which_did_not_answer(platform, console):
    county = person(platform, console, "county", "county_government", city="吕梁市", county="孝义市")
    down = county.get("/todo")
    assert "暂时无法从“基地登记”取得数据" in down.text
    platform.start("registry")
    up = county.get("/todo")
    assert "暂时无法从“基地登记”" not in up.text and "待办事项（0）" in up.text
