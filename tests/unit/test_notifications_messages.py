"""Every event type reads as a sentence an official would write; a type added later
still names what it is about."""

from uuid import uuid4

import pytest

from services.contracts import CATALOG
from services.notifications.matching import BaseFacts
from services.notifications.messages import TEMPLATES, Names, compose, yuan
from tests.support.upstream import (
    XIAOYI, Upstream, adjusted, base_declared, batch_opened, funding_allocated,
)

BASE_ID = uuid4()
SXU = Names(base=BaseFacts(BASE_ID, "山西大学", "university", {"city": "太原市", "county": "小店区"}))


def notice(event_type, payload, names=SXU, source="evaluation"):
    event = Upstream(source).event(event_type, payload)
    return compose(event.type, event.source, event.payload, names)


def test_every_published_event_type_has_its_own_template():
    assert set(TEMPLATES) == {t for t, spec in CATALOG.items() if spec.deliverable}


def test_a_declaration_names_the_base_its_kind_and_region():
    text = notice("BaseDeclared", base_declared(BASE_ID, base=XIAOYI), Names(), "registry").text
    assert text.startswith("孝义市 已申报省级双创示范基地")
    assert "区域示范基地" in text and "吕梁市孝义市" in text


def test_a_filed_plan_says_so():
    payload = {**CATALOG["PlanFiled"].example, "base_id": str(BASE_ID)}
    text = notice("PlanFiled", payload, source="registry").text
    assert text.startswith("山西大学 的建设方案已备案") and "第 1 版" in text


@pytest.mark.parametrize("to_status, headline", [
    ("certified", "山西大学 已被认定为省级双创示范基地"),
    ("not_selected", "山西大学 未入选省级双创示范基地"),
    ("retained", "山西大学 经评估保留省级双创示范基地"),
    ("warned", "山西大学 被警示，须限期整改"),
    ("revoked", "山西大学 的省级双创示范基地资格已被撤销"),
    ("recommended_national", "山西大学 被推荐申报国家级双创示范基地"),
    ("declared", "山西大学 的状态由“已认定”调整为“已申报”"),
])
def test_each_adjustment_reads_as_its_decision_with_the_reason(to_status, headline):
    text = notice("BaseAdjusted", adjusted(BASE_ID, to_status, from_status="certified",
                                           reason="2018年第三方评估")).text
    assert text.startswith(headline)
    assert text.endswith("理由：2018年第三方评估")


def test_a_warning_gives_the_rectification_deadline_in_china_time():
    payload = adjusted(BASE_ID, "warned", from_status="certified", reason="评估不合格",
                       rectification_deadline="2018-12-31T16:30:00+00:00", score="55.50")
    text = notice("BaseAdjusted", payload).text
    assert "整改期限：2019-01-01" in text and "综合评分 55.50" in text


def test_an_allocation_gives_the_amount_as_officials_write_it():
    text = notice("FundingAllocated", funding_allocated(BASE_ID, "3000000.00"), source="funding").text
    assert text.startswith("为 山西大学 安排省级预算内资金 3,000,000.00 元")
    assert "2017 年度" in text


def test_an_allocation_is_announced_as_arranged_and_only_a_disbursement_as_paid():
    """A finance department reads 拨付 as money paid out: an allocation that said so,
    followed by the payment of its first tranche, read as the money going out twice."""
    allocation = funding_allocated(BASE_ID, "4000000.00")
    allocated = notice("FundingAllocated", allocation, source="funding").text
    tranche = {"tranche_id": allocation["tranches"][0]["tranche_id"], "amount": "2400000.00",
               "milestone": "建设方案备案"}
    disbursed = {key: allocation[key] for key in
                 ("allocation_id", "base_id", "envelope_id", "fiscal_year", "fund_source")}
    paid = notice("FundingDisbursed", {**disbursed, **tranche}, source="funding").text
    assert "拨付" not in allocated.split("（")[0] and "安排" in allocated
    assert paid.startswith("已向 山西大学 拨付 2,400,000.00 元")


def test_batches_are_named_with_their_window_and_quota():
    batch_id = uuid4()
    opened = notice("BatchOpened", batch_opened(batch_id, "2017年第一批")).text
    assert opened == "2017年第一批 申报批次已开放，申报时间 2017-03-01 至 2017-06-30，名额 12 个"
    closed = notice("BatchClosed", {"batch_id": str(batch_id)}, Names(batch="2017年第一批")).text
    assert closed == "2017年第一批 申报批次已截止申报"


def test_an_unknown_base_or_batch_is_named_by_its_id():
    assert notice("BaseAdjusted", adjusted(BASE_ID), Names()).text.startswith(f"基地（编号 {str(BASE_ID)[:8]}）")
    batch_id = uuid4()
    assert str(batch_id)[:8] in notice("BatchClosed", {"batch_id": str(batch_id)}, Names()).text


def test_a_type_without_a_template_names_its_base_source_and_amount():
    from decimal import Decimal

    generic = compose("GrantTopUp", "funding",
                      {"base_id": BASE_ID, "tranche_id": uuid4(), "amount": Decimal("2000000.00")}, SXU)
    assert generic.title == "GrantTopUp"
    assert generic.text == "山西大学：资金管理发布了 GrantTopUp 事件，金额 2,000,000.00 元，详见事件数据"
    about_nothing = compose("RoundOpened", "evaluation", {"round_id": uuid4()}, Names())
    assert about_nothing.text.startswith("双创示范基地工作：评选评估发布了 RoundOpened 事件")


def test_a_round_closed_says_how_many_bases_were_withdrawn_ungraded():
    payload = dict(CATALOG["RoundClosed"].example)
    text = notice("RoundClosed", payload, source="evaluation").text
    assert "共评估 1 个基地：良好 1 个；另有 1 个基地在评估期间被撤销，未参加评定" in text


def test_money_keeps_its_cents():
    from decimal import Decimal

    assert yuan(Decimal("1234567.5")) == "1,234,567.50"


@pytest.mark.parametrize("event_type, source, expected", [
    ("BudgetEnvelopeOpened", "funding", "年度"),
    ("FundingDisbursed", "funding", "已向 山西大学 拨付"),
    ("FundingCancelled", "funding", "已取消"),
    ("FundingRecoveryDemanded", "funding", "须退回已拨付资金"),
    ("FundingRecovered", "funding", "已收回 山西大学"),
    ("RoundClosed", "evaluation", "共评估"),
])
def test_funding_and_round_events_read_as_sentences(event_type, source, expected):
    payload = dict(CATALOG[event_type].example)
    if "base_id" in payload:
        payload["base_id"] = str(BASE_ID)
    assert expected in notice(event_type, payload, source=source).text


def test_an_annual_report_says_how_many_plan_targets_of_the_year_were_met():
    payload = {**CATALOG["AnnualReportSubmitted"].example, "base_id": str(BASE_ID), "version": 2}
    text = notice("AnnualReportSubmitted", payload).text
    assert text.startswith("山西大学 提交了 2018 年度自评报告（第 2 版，替换此前版本）")
    assert text.endswith("对照建设方案年度目标 2 项：达到 1 项，未达到 1 项")


def test_a_reminder_names_the_task_its_due_day_and_who_is_to_act():
    example = CATALOG["ReminderDue"].example
    before = notice("ReminderDue", example, source="registry")
    assert before.title == "审议建设方案提醒"
    assert "将于 2017-11-07 到期" in before.text and "山西省教育厅（主管部门）" in before.text
    due = notice("ReminderDue", {**example, "step": "due"}, source="registry")
    assert "今天到期" in due.text


def test_the_overdue_marker_says_the_due_day_has_passed():
    late = notice("Overdue", CATALOG["Overdue"].example, source="registry")
    assert late.title == "限期整改逾期"
    assert "已于 2019-03-31 到期仍未完成" in late.text and "山西大学（示范基地建设单位）" in late.text


def test_a_national_outcome_names_the_base_and_its_document():
    payload = {**CATALOG["NationalOutcomeRecorded"].example, "base_id": str(BASE_ID)}
    text = notice("NationalOutcomeRecorded", payload, source="evaluation").text
    assert "入选国家级双创示范基地" in text and "发改高技〔2019〕1254号" in text
    missed = notice("NationalOutcomeRecorded", {**payload, "selected": False}, source="evaluation").text
    assert "未入选" in missed
