"""The console in a real browser: Debian's chromium driven by Playwright, against the
four services and the console started as processes of their own on a vhost of their own.

Run as its own pytest call (``make test-browser``, part of ``make test``), with
``--confcutdir=tests/browser`` so that tests/conftest.py, which monkey-patches for
eventlet at import, is never loaded: Playwright's sync API hangs on shutdown under it.
"""

import io
import re
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import sync_playwright

from services.backbone.config import PROJECT_ROOT, load_config
from services.demo import data
from services.demo.actors import Api, Cast
from services.demo.construction import allocate_and_pay, file_plans
from services.demo.programme import Programme
from services.demo.selection import load_rubrics, record_batch
from services.demo.launcher import ManagementApi
from tests.support.console import PASSWORD, ConsoleClient
from tests.support.platform import Platform, make_config

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
SCREENSHOTS = PROJECT_ROOT / "var" / "screenshots"
SERVICES = ("registry", "evaluation", "funding", "notifications", "console")
CERTIFIED = 12  # of the first batch's sixteen declarations
WIDE, NARROW = {"width": 1280, "height": 900}, {"width": 375, "height": 812}

# One person per role, as the administrator makes them (scope where the role has one).
PEOPLE = {
    "drc": ("drc", "刘处长", "省发展改革委", {}),
    "county_government": ("county", "李县长", "孝义市人民政府", {"city": "吕梁市", "county": "孝义市"}),
    "competent_department": ("competent", "陈局长", "省科技厅", {"department": "省科技厅"}),
    "applicant": ("applicant", "周主任", "山西大学", {}),
    "evaluator": ("expert", "吴教授", "太原理工大学", {"evaluator_id": str(uuid.uuid4())}),
    "funding_office": ("funding", "郑科长", "省财政厅", {}),
    "department": ("department", "王处长", "省教育厅", {"department": "省教育厅"}),
    "ops": ("ops", "冯工程师", "省信息中心", {}),
}


@pytest.fixture(scope="session")
def platform(tmp_path_factory):
    """The four services and the console as processes, on a fresh vhost and stores."""
    local = load_config("test", environ={"SC_AUTH__SECRET": "unused"})
    management = ManagementApi(local["broker"]["management_url"])
    vhost = f"sc-browser-{uuid.uuid4().hex[:10]}"
    management.create_vhost(vhost)
    broker = local["broker"]["url"].rstrip("/") + "/" + quote(vhost, safe="")
    platform = Platform(make_config(amqp_uri=broker, tmp_path=tmp_path_factory.mktemp("browser")), None)
    try:
        for name in SERVICES:
            platform.spawn(name, wait=False)
        for name in SERVICES:
            platform.wait_http(name, platform.processes[name], timeout=90)
        yield platform
    finally:
        platform.shutdown()
        management.delete_vhost(vhost)


@pytest.fixture(scope="session")
def people(platform) -> dict:
    """Username of each role's person (all with ``PASSWORD``), the administrator first,
    made by ``sc users add`` as on a fresh installation."""
    made = subprocess.run(
        [sys.executable, "-m", "services.cli", "users", "add", "--username", "admin",
         "--name", "张管理", "--organisation", "省发展改革委"],
        cwd=PROJECT_ROOT, env=platform.environment(), capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    one_time = re.search(r"one-time password: (\S+)", made.stdout).group(1)
    admin = ConsoleClient(platform.url("console"))
    admin.first_sign_in("admin", one_time)
    usernames = {"admin": "admin"}
    for role, (username, name, organisation, scope) in PEOPLE.items():
        _, password = admin.add_account(username=username, name=name, organisation=organisation,
                                        role=role, **scope)
        ConsoleClient(platform.url("console")).first_sign_in(username, password)
        usernames[role] = username
    return usernames


@pytest.fixture(scope="session")
def programme(platform) -> dict:
    """The demo's 2017: the first batch declared, scored and certified (twelve of
    sixteen), their plans approved and filed, budget allocated and a first tranche paid.
    Returns the base ids by name."""
    urls = {name: platform.url(name) for name in ("registry", "evaluation", "funding", "notifications")}
    p = Programme(Api(urls), Cast(platform.issuer), out=io.StringIO())
    load_rubrics(p)
    annex = [base["name"] for base in data.first_batch()]
    record_batch(p, data.FIRST_BATCH, CERTIFIED, data.first_batch_declarations(), annex,
                 data.FIRST_BATCH_DECISION, data.first_batch_document())
    certified = [p.base_of(d) for d in p.decisions[data.FIRST_BATCH] if d["to_status"] == "certified"]
    file_plans(p, certified)
    allocate_and_pay(p, certified)
    p.api.close()
    return {name: base.base_id for name, base in p.bases.items()}


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, platform):
    """``new_page(width=...)``: a page in a fresh browser context (no cookies)."""
    contexts = []

    def make(viewport=WIDE):
        context = browser.new_context(viewport=viewport, base_url=platform.url("console"), locale="zh-CN")
        context.set_default_timeout(15000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def shot(page, name: str) -> Path:
    """A screenshot of the whole page for a person to look at (never committed)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/sign-in")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
