"""The DRC's 首页 and the 基地 pages in chromium, on the first batch of 2017 (sixteen
declarations, twelve certified by the DRC): the map and the charts draw, the list
searches, filters, pages and exports what it shows to Excel, a base's timeline and its
status as of a past day, a page a role may not open, at 1280 and 375 px."""

import re
from datetime import datetime, timedelta, timezone
from io import BytesIO

from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser.conftest import CERTIFIED, NARROW, shot, sign_in
from tests.support.console import PASSWORD, ConsoleClient

def canvas_drawn(page, selector: str) -> bool:
    """A chart's canvas with something painted on it (not one blank colour)."""
    return page.evaluate("""(selector) => {
        const canvas = document.querySelector(selector + ' canvas');
        if (!canvas || canvas.width === 0) return false;
        const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 4; i < pixels.length; i += 4) {
            if (pixels[i] !== pixels[0] || pixels[i + 1] !== pixels[1] || pixels[i + 2] !== pixels[2]
                || pixels[i + 3] !== pixels[3]) return true;
        }
        return false;
    }""", selector)


def test_the_drc_lands_on_the_dashboard_with_its_map_and_charts(new_page, people, programme):
    page = new_page()
    sign_in(page, people["drc"])
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.get_by_role("heading", name="首页", exact=True)).to_be_visible()
    figures = page.get_by_role("region", name="基地概况")
    expect(figures).to_contain_text(str(len(programme)))
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", str(CERTIFIED))
    money = page.get_by_role("region", name="省级预算内资金")
    expect(money).to_contain_text("元")
    expect(money).not_to_contain_text("已分配0.00 元")
    for chart in ("#map", "#kinds-chart", "#statuses-chart"):
        page.wait_for_function("(s) => document.querySelector(s + ' canvas')", arg=chart)
    page.wait_for_timeout(800)  # ECharts animates its first frame in
    for chart in ("#map", "#kinds-chart", "#statuses-chart"):
        assert canvas_drawn(page, chart), f"{chart} is blank"
    decisions = page.get_by_role("table", name="最新决定")
    expect(decisions.get_by_role("row")).to_have_count(9)  # the header and the newest eight
    shot(page, "drc-dashboard-1280")
    narrow = new_page(NARROW)
    sign_in(narrow, people["drc"])
    narrow.wait_for_function("() => document.querySelector('#map canvas')")
    assert narrow.evaluate("document.documentElement.scrollWidth") <= 375
    shot(narrow, "drc-dashboard-375")


def test_the_list_searches_filters_pages_and_exports_what_it_shows(new_page, people, programme):
    page = new_page()
    sign_in(page, people["drc"])
    page.goto("/bases")
    expect(page.get_by_role("heading", name="基地")).to_contain_text(f"共 {len(programme)} 个")
    expect(page.get_by_text("第 1 页，共 1 页")).to_be_visible()
    page.get_by_label("名称").fill("大学")
    page.keyboard.press("Tab")  # the filters in reading order, by keyboard
    expect(page.get_by_label("示范类型")).to_be_focused()
    page.get_by_label("状态").select_option(label="已认定")
    page.get_by_role("button", name="查询").click()
    table = page.get_by_role("table")
    expect(table.get_by_role("link")).to_have_count(2)  # 山西大学, 太原理工大学 (运城学院 not selected)
    expect(table).to_contain_text("山西大学")
    expect(table).not_to_contain_text("运城学院")
    shot(page, "drc-bases-search-1280")
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 Excel").click()
    sheet = load_workbook(BytesIO(open(download.value.path(), "rb").read())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("基地名称", "示范类型", "设区市")
    assert sorted(r[0] for r in rows[1:]) == sorted(["山西大学", "太原理工大学"])
    assert all(r[6] == "已认定" for r in rows[1:])
    assert isinstance(rows[1][7], datetime)  # a date Excel can sort, in Beijing time
    assert sheet.column_dimensions["J"].hidden  # the base's code, hidden
    page.goto("/bases?sort=name")
    page.get_by_label("设区市").select_option("太原市")
    page.get_by_role("button", name="查询").click()
    expect(page).to_have_url(re.compile("city="))
    names = page.get_by_role("table").get_by_role("link").all_inner_texts()
    assert names and names == sorted(names)


def test_the_list_pages_by_the_services_total(new_page, people, programme):
    page = new_page()
    sign_in(page, people["competent_department"])
    page.goto("/bases?offset=0")
    expect(page.get_by_text("第 1 页，共 1 页")).to_be_visible()
    page.goto("/bases?offset=10")  # beyond the first rows: a second page of sixteen
    expect(page.get_by_role("table")).to_contain_text("第 11–16 个")
    expect(page.get_by_role("link", name="上一页")).to_be_visible()


def test_a_base_shows_its_timeline_and_its_status_as_of_a_past_day(new_page, people, programme):
    page = new_page()
    sign_in(page, people["drc"])
    page.goto(f"/bases/{programme['山西大学']}")
    expect(page.get_by_role("heading", name="山西大学")).to_be_visible()
    timeline = page.get_by_role("list", name="基地大事记")
    expect(timeline).to_contain_text("申报")
    expect(timeline).to_contain_text("状态变更")
    expect(timeline).to_contain_text("审议通过建设方案")
    expect(timeline).to_contain_text("认定为省级双创示范基地")  # why, as the decision says
    expect(timeline).to_contain_text("拨付资金")  # funding's events beside the registry's
    snapshot = page.locator("main").aria_snapshot()
    assert "基地大事记" in snapshot, snapshot
    shot(page, "drc-base-detail-1280")
    # The first batch stands from its decision's date (2017-09-07), not from when it was entered.
    page.get_by_label("查看某日状态").fill("2017-09-06")
    page.get_by_role("button", name="查看", exact=True).click()
    expect(page.locator("#as-of")).to_contain_text("该基地尚未申报")
    expect(timeline.get_by_role("listitem")).to_have_text(["暂无记录"])
    shot(page, "drc-base-as-of-1280")
    yesterday = (datetime.now(timezone(timedelta(hours=8))) - timedelta(days=1)).date().isoformat()
    page.goto(f"/bases/{programme['山西大学']}?as_of={yesterday}")
    expect(page.locator("#as-of")).to_contain_text("该基地的状态为 已认定（自 2017年9月7日")
    narrow = new_page(NARROW)
    sign_in(narrow, people["county_government"])
    narrow.goto(f"/bases/{programme['孝义市']}")
    expect(narrow.get_by_role("heading", name="孝义市")).to_be_visible()
    expect(narrow.get_by_role("list", name="基地大事记")).to_contain_text("申报")
    # Evaluation does not show a county government a base's scores: the panel says so.
    expect(narrow.get_by_text("“评审评估”不向您的角色显示这部分内容。")).to_be_visible()
    assert narrow.evaluate("document.documentElement.scrollWidth") <= 375
    shot(narrow, "county-base-detail-375")


def test_a_role_without_the_dashboard_gets_the_403_page_without_its_data(new_page, people, programme):
    page = new_page()
    sign_in(page, people["applicant"])
    response = page.goto("/dashboard")
    assert response.status == 403
    expect(page.get_by_role("heading", name="无权查看此页面")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("基地总数")
    shot(page, "applicant-dashboard-403")


def test_todo_merges_what_the_services_say_waits_and_links_each_item(new_page, people, platform, programme):
    # A funding officer of its own: the lock-out test locks the shared one.
    admin = ConsoleClient(platform.url("console"))
    admin.sign_in("admin", PASSWORD)
    _, one_time = admin.add_account(username="cashier", name="孙会计", organisation="省财政厅",
                                    role="funding_office")
    ConsoleClient(platform.url("console")).first_sign_in("cashier", one_time)
    page = new_page()
    sign_in(page, "cashier")
    table = page.get_by_role("table", name=re.compile("待办事项"))
    expect(table).to_contain_text("拨付资金")  # the tranches still to pay, from funding's /todo
    page.get_by_role("link", name="山西大学").click()
    expect(page.get_by_role("heading", name="山西大学")).to_be_visible()
    shot(page, "funding_office-todo-to-base-1280")
