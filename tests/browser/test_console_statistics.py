"""统计 in chromium, on the first batch of 2017 (twelve certified, plans filed, a first
tranche paid): the target's progress, the bases by county, the charts drawn, the
filters and a past day, and the Excel export of what the page shows."""

import re
from io import BytesIO

from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser.conftest import CERTIFIED, shot, sign_in
from tests.browser.test_console_bases import canvas_drawn


def test_the_statistics_page_counts_charts_filters_and_exports(new_page, people, programme):
    page = new_page()
    sign_in(page, people["drc"])
    page.get_by_role("link", name="统计").click()
    expect(page.get_by_role("heading", name="统计", exact=True)).to_be_visible()
    expect(page.get_by_role("region", name=re.compile("建设目标"))).to_contain_text(f"在册示范基地 {CERTIFIED} 家")
    counties = page.get_by_role("table", name="各县（市、区）基地分布")
    expect(counties).to_contain_text("孝义市")
    expect(page.get_by_role("table", name="资金（按来源）")).to_contain_text("元")
    page.wait_for_function("() => document.querySelector('#counties-chart canvas')")
    page.wait_for_timeout(800)  # ECharts animates its first frame in
    assert canvas_drawn(page, "#counties-chart") and canvas_drawn(page, "#funds-by-source-chart")
    shot(page, "drc-statistics-1280")

    with page.expect_download() as download:
        page.get_by_role("link", name="导出 Excel").click()
    book = load_workbook(BytesIO(open(download.value.path(), "rb").read()))
    assert book.sheetnames[0] == "各县（市、区）基地分布" and "资金（按来源）" in book.sheetnames
    rows = list(book["各县（市、区）基地分布"].iter_rows(values_only=True))
    assert rows[0] == ("设区市", "县（市、区）", "基地数", "在册示范基地")
    assert sum(row[2] for row in rows[1:]) == len(programme)
    money = list(book["资金（按来源）"].iter_rows(values_only=True))
    assert money[0][:3] == ("资金来源", "已分配（元）", "已拨付（元）")
    assert isinstance(money[1][1], (int, float)) and money[1][1] > 0  # a number Excel adds up

    page.get_by_label("设区市", exact=True).select_option("太原市")
    page.get_by_role("button", name="统计", exact=True).click()
    expect(page).to_have_url(re.compile("city="))
    expect(counties).not_to_contain_text("孝义市")
    # The first batch is entered from its document of 2017-09-07: it counts from that day.
    page.goto("/stats?as_of=2017-09-06")
    expect(page.get_by_role("heading", name=re.compile("统计"))).to_contain_text("截至")
    expect(page.get_by_role("table", name="各县（市、区）基地分布")).to_contain_text("暂无数据")
    page.goto("/stats?as_of=2017-09-07")
    expect(page.get_by_role("region", name=re.compile("建设目标"))).to_contain_text(f"在册示范基地 {CERTIFIED} 家")
