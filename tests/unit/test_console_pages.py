"""The console's pages' own logic, without a browser: exports say what the page shows in
a person's words and times and cannot be turned into formulas; the dashboard's data can
hold any name without closing its script element; 待办 merges the services' answers
oldest first and names a service that did not answer."""

import csv
import io
from datetime import datetime
from decimal import Decimal

from openpyxl import load_workbook

from services.console.api import ApiError
from services.console.exports import Column, to_csv, to_xlsx
from services.console.pages.dashboard import chart_data, script_json
from services.console.pages.todo import merged

ROW = {"name": "=HYPERLINK(\"http://evil\")", "declared_at": "2017-09-07T06:30:00+00:00", "amount": "1800000.00",
       "base_id": "b1"}
COLUMNS = [Column("基地名称", lambda r: r["name"]), Column("申报时间", lambda r: r["declared_at"], time=True),
           Column("分配金额（元）", lambda r: r["amount"], money=True),
           Column("基地编号", lambda r: r["base_id"], hidden=True)]


def test_the_excel_export_has_beijing_dates_exact_amounts_text_not_formulas_and_hidden_codes():
    sheet = load_workbook(io.BytesIO(to_xlsx("基地", COLUMNS, [ROW]))).active
    header, row = list(sheet.iter_rows(values_only=True))
    assert header == ("基地名称", "申报时间", "分配金额（元）", "基地编号")
    assert row[0] == ROW["name"] and sheet["A2"].data_type == "s"  # shown as typed, never run
    assert row[1] == datetime(2017, 9, 7, 14, 30)  # Beijing time
    assert Decimal(str(row[2])) == Decimal("1800000.00") and sheet["C2"].number_format == "#,##0.00"
    assert sheet.column_dimensions["D"].hidden and not sheet.column_dimensions["A"].hidden


def test_the_csv_export_quotes_formulas_and_writes_beijing_time():
    rows = list(csv.reader(io.StringIO(to_csv(COLUMNS, [ROW]))))
    assert rows[1][0].startswith("'=") and rows[1][1] == "2017年9月7日 14:30"


def test_a_name_cannot_close_the_dashboards_script_element():
    text = script_json({"map": [{"name": "太原市", "names": ["</script><script>alert(1)</script>"]}]})
    assert "</script>" not in text and "<" not in text


def test_the_charts_count_every_city_of_the_map_even_without_bases():
    data = chart_data({"by_city": {"太原市": {"total": 2, "names": ["山西大学", "太原理工大学"]}},
                       "over_time": [{"month": "2017-09", "by_kind": {"university": 2},
                                      "by_status": {"certified": 2}}]})
    assert len(data["map"]) == 11 and {"name": "太原市", "value": 2, "names": ["山西大学", "太原理工大学"]} in data["map"]
    assert [s["name"] for s in data["statuses"]] == ["已认定"]


class Api:
    def get(self, service, path):
        if service == "funding":
            raise ApiError("funding", 0, "unreachable", "ConnectionError")
        return {"items": {"registry": [{"task": "approve_plan", "since": "2018-01-02T00:00:00+00:00"}],
                          "notifications": [{"task": "read_notification", "since": "2017-12-01T00:00:00+00:00"},
                                            {"task": "dead_letter", "since": None}]}[service]}


def test_todo_merges_oldest_first_and_names_the_service_that_did_not_answer():
    section = merged(Api(), ("registry", "funding", "notifications"))
    assert [row["task"] for row in section.rows] == ["read_notification", "approve_plan", "dead_letter"]
    assert section.errors == ["暂时无法从“资金管理”取得数据：ConnectionError"]


def test_a_services_refusal_reads_as_its_rule_and_a_failure_as_a_failure():
    from services.console.pages.panels import read

    def refused():
        raise ApiError("evaluation", 403, "forbidden", "Role 'county_government' may not do this")

    assert read(refused).error == "“评审评估”不向您的角色显示这部分内容。"
    assert "暂时无法" in read(lambda: (_ for _ in ()).throw(ApiError("funding", 0, "unreachable", "x"))).error
