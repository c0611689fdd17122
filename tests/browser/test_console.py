"""What people see in the console, in chromium: each role signs in and reaches its
pages at 1280 and 375 px; the 403, CSRF, lock-out and session-end pages; labels, the
accessibility tree and the keyboard path through the forms."""

import re

import pytest
from playwright.sync_api import expect

from services.contracts.vocabulary import CONSOLE_PAGES, ROLES
from services.console.navigation import MAIN_PAGES, PATHS, landing
from tests.browser.conftest import NARROW, PEOPLE, WIDE, shot, sign_in
from tests.support.console import PASSWORD


def fits(page, width: int) -> bool:
    """Nothing wider than the window: no sideways scrolling, nothing cut off."""
    return page.evaluate("document.documentElement.scrollWidth") <= width


def test_the_sign_in_form_has_labels_and_a_keyboard_path(new_page, platform):
    page = new_page()
    page.goto("/sign-in")
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    snapshot = page.locator("main").aria_snapshot()
    assert 'textbox "用户名*"' in snapshot or 'textbox "用户名"' in snapshot, snapshot
    assert 'button "登录"' in snapshot, snapshot
    page.get_by_label("用户名").focus()
    page.keyboard.press("Tab")
    expect(page.get_by_label("密码")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="登录")).to_be_focused()
    shot(page, "sign-in-1280")
    narrow = new_page(NARROW)
    narrow.goto("/sign-in")
    assert fits(narrow, 375)
    shot(narrow, "sign-in-375")


@pytest.mark.parametrize("role", ["admin", *PEOPLE])
def test_each_role_signs_in_and_reaches_its_pages(new_page, people, role):
    page = new_page()
    sign_in(page, people[role])
    expect(page).to_have_url(re.compile(landing(role) + "$"))
    header = page.locator("header")
    expect(header).to_contain_text(ROLES[role])
    page.goto(PATHS["todo"])
    expect(page.get_by_role("heading", name=CONSOLE_PAGES["todo"])).to_be_visible()
    shot(page, f"{role}-todo-1280")
    for key in MAIN_PAGES.get(role, ()):
        page.get_by_role("navigation", name="主导航").get_by_role("link", name=CONSOLE_PAGES[key]).click()
        expect(page).to_have_url(re.compile(PATHS[key]))
        expect(page.get_by_role("heading", name=CONSOLE_PAGES[key]).first).to_be_visible()
        shot(page, f"{role}-{key}-1280")
    narrow = new_page(NARROW)
    sign_in(narrow, people[role])
    for key in ("todo", *MAIN_PAGES.get(role, ())):
        narrow.goto(PATHS[key])
        expect(narrow.get_by_role("heading", name=CONSOLE_PAGES[key]).first).to_be_visible()
        assert fits(narrow, 375), f"{role} {key} is wider than 375 px"
        shot(narrow, f"{role}-{key}-375")


def test_a_page_the_role_may_not_open_says_so_and_shows_nothing_of_it(new_page, people):
    page = new_page()
    sign_in(page, people["applicant"])
    page.goto("/accounts")
    expect(page.get_by_role("heading", name="无权查看此页面")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("admin")
    shot(page, "forbidden-403")
    page.goto("/no/such/page")
    expect(page.get_by_role("heading", name="页面不存在")).to_be_visible()
    shot(page, "not-found-404")


def test_a_form_with_a_forged_csrf_token_is_refused(new_page, people, platform):
    page = new_page()
    sign_in(page, people["admin"])
    page.goto("/accounts/new")
    page.evaluate("document.querySelectorAll('input[name=csrf_token]').forEach(i => i.value = 'forged')")
    page.get_by_label("用户名", exact=True).fill("forged")
    page.get_by_label("姓名").fill("伪造")
    page.get_by_label("单位").fill("某处")
    page.get_by_label("角色").select_option("drc")
    page.get_by_role("button", name="创建账户").click()
    expect(page.get_by_role("heading", name="表单已失效，未予受理")).to_be_visible()
    shot(page, "csrf-refused")


def test_the_administrator_makes_an_account_with_the_keyboard_and_errors_beside_fields(new_page, people):
    page = new_page()
    sign_in(page, people["admin"])
    page.get_by_role("link", name="用户").click()
    shot(page, "accounts-list-1280")
    page.get_by_role("link", name="新建账户").click()
    form = page.locator("main form").first
    snapshot = form.aria_snapshot()
    for label in ("用户名", "姓名", "单位", "角色", "设区市", "县（市、区）", "所属部门"):
        assert label in snapshot, snapshot
    order = ["用户名", "姓名", "单位", "角色", "设区市", "县（市、区）", "所属部门",
             "负责的基地编号（每行一个）", "评审专家编号"]
    page.get_by_label(order[0], exact=True).focus()
    for label in order[1:]:
        page.keyboard.press("Tab")
        expect(page.get_by_label(label, exact=True)).to_be_focused()
    page.get_by_label("用户名", exact=True).fill("sun.county")
    page.get_by_label("姓名").fill("孙县长")
    page.get_by_label("单位").fill("平遥县人民政府")
    page.get_by_label("角色").select_option("county_government")
    page.get_by_label("设区市").select_option("晋中市")
    page.get_by_role("button", name="创建账户").click()
    county = page.get_by_label("县（市、区）")
    expect(county).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#e-county")).to_contain_text("县级人民政府须填写县")
    expect(page.get_by_label("姓名")).to_have_value("孙县长")
    shot(page, "account-form-errors")
    county.fill("平遥县")
    page.get_by_role("button", name="创建账户").click()
    expect(page.locator("#one-time-password")).to_be_visible()
    shot(page, "account-one-time-password")


def test_repeated_failures_lock_the_account(new_page, people, platform):
    page = new_page()
    limit = platform.config["console"]["lockout"]["account_failures"]
    for _ in range(limit):
        sign_in(page, people["funding_office"], "not the password")
    expect(page.get_by_role("alert")).to_contain_text("已暂时锁定")
    sign_in(page, people["funding_office"])
    expect(page.get_by_role("alert")).to_contain_text("已暂时锁定")
    shot(page, "sign-in-locked")


def test_disabling_an_account_ends_its_open_session_on_its_next_click(new_page, people, platform):
    from tests.support.console import ConsoleClient

    admin = ConsoleClient(platform.url("console"))
    admin.sign_in("admin", PASSWORD)
    account_id, one_time = admin.add_account(username="leaving", name="调离人员", organisation="省教育厅",
                                             role="department", department="省教育厅")
    ConsoleClient(platform.url("console")).first_sign_in("leaving", one_time)
    person = new_page()
    sign_in(person, "leaving")
    expect(person.get_by_role("heading", name="待办")).to_be_visible()
    page = new_page()
    sign_in(page, people["admin"])
    page.goto(f"/accounts/{account_id}")
    page.get_by_label("停用原因").fill("调离岗位")
    page.get_by_role("button", name="停用账户").click()
    expect(page.locator("main")).to_contain_text("已停用")
    person.get_by_role("navigation", name="主导航").get_by_role("link", name="通知").click()
    expect(person.get_by_role("heading", name="登录已结束")).to_be_visible()
    expect(person.locator("main")).to_contain_text("账户已停用")
    shot(person, "session-ended-disabled")


def test_the_ops_page_shows_each_service_running(new_page, people):
    page = new_page()
    sign_in(page, people["ops"])
    page.goto("/ops")
    status = page.locator("#ops-status")
    for service in ("基地登记", "评审评估", "资金管理", "通知推送"):
        row = status.locator("tr").filter(has=page.get_by_role("cell", name=service, exact=True))
        expect(row).to_contain_text("运行中")
    expect(page.locator("#ops-queues")).to_contain_text("sc.funding.from.registry")
    shot(page, "ops-1280")


def test_wide_and_narrow_pages_fit_their_window(new_page, people):
    for viewport in (WIDE, NARROW):
        page = new_page(viewport)
        sign_in(page, people["admin"])
        page.goto("/accounts")
        assert fits(page, viewport["width"])
