"""What a notification says, in the Chinese the officials use. Pure.

One template per published event type (and per ``to_status`` of BaseAdjusted); any type
added later by another service gets a generic message that still names the base or
batch, the publishing service and, when the payload has one, the amount of money, so a
new event is never silent or unreadable. Times are shown in China Standard Time.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Callable

from services.contracts.funding import FUND_SOURCES
from services.contracts.vocabulary import GRADES, KINDS, MILESTONES, ROLES, STATUSES, TODO_TASKS

from .matching import BaseFacts

CHINA = timezone(timedelta(hours=8), "CST")

SOURCE_NAMES = {
    "registry": "基地名录",
    "evaluation": "评选评估",
    "funding": "资金管理",
    "notifications": "消息通知",
}

ADJUSTMENTS: dict[str, tuple[str, str]] = {
    # to_status: (title, headline with {name})
    "certified": ("认定", "{name} 已被认定为省级双创示范基地"),
    "not_selected": ("未入选", "{name} 未入选省级双创示范基地"),
    "retained": ("保留", "{name} 经评估保留省级双创示范基地"),
    "warned": ("警示整改", "{name} 被警示，须限期整改"),
    "revoked": ("撤销", "{name} 的省级双创示范基地资格已被撤销"),
    "recommended_national": ("推荐国家级", "{name} 被推荐申报国家级双创示范基地"),
}


@dataclass(frozen=True)
class Notice:
    """The title and text of one notification."""

    title: str
    text: str


@dataclass(frozen=True)
class Names:
    """Display names of what an event is about; ids stand in for what is not known."""

    base: BaseFacts | None = None
    batch: str | None = None

    def of_base(self, base_id) -> str:
        return self.base.name if self.base else f"基地（编号 {str(base_id)[:8]}）"

    def of_batch(self, batch_id) -> str:
        return self.batch or f"申报批次（编号 {str(batch_id)[:8]}）"


def yuan(amount: Decimal) -> str:
    """Money as officials write it: thousands separated, two places (3,000,000.00)."""
    return f"{Decimal(amount):,.2f}"


def day(moment: datetime) -> str:
    return moment.astimezone(CHINA).strftime("%Y-%m-%d")


def base_declared(p: dict, names: Names) -> Notice:
    region = p["region"]
    return Notice("申报", f"{p['name']} 已申报省级双创示范基地（{KINDS.get(p['kind'], p['kind'])}，"
                        f"{region['city']}{region['county']}，主管部门：{p['competent_department']}）")


def plan_filed(p: dict, names: Names) -> Notice:
    return Notice("建设方案备案", f"{names.of_base(p['base_id'])} 的建设方案已备案（第 "
                                  f"{p['plan_version']} 版，经所在县（市、区）人民政府和主管部门审议通过）")


def plan_submitted(p: dict, names: Names) -> Notice:
    awaiting = "、".join(ROLES.get(role, role) for role in p["awaiting"])
    return Notice("建设方案待审议", f"{names.of_base(p['base_id'])} 报送了建设方案第 "
                                    f"{p['plan_version']} 版，待{awaiting}审议")


def plan_returned(p: dict, names: Names) -> Notice:
    by = ROLES.get(p["returned_by"], p["returned_by"])
    return Notice("建设方案退回修改", f"{names.of_base(p['base_id'])} 的建设方案第 {p['plan_version']} "
                                      f"版被{by}退回修改。意见：{p['comments']}")


def declaration_returned(p: dict, names: Names) -> Notice:
    return Notice("申报退回补正", f"{names.of_base(p['base_id'])} 的申报材料不完整，已退回补正。"
                                  f"意见：{p['comments']}")


def declaration_resubmitted(p: dict, names: Names) -> Notice:
    note = f"说明：{p['note']}" if p["note"] else ""
    return Notice("申报补正后重新提交", f"{names.of_base(p['base_id'])} 已补正并重新提交申报材料。{note}")


def batch_opened(p: dict, names: Names) -> Notice:
    return Notice("申报批次开放", f"{p['name']} 申报批次已开放，申报时间 {day(p['opens_at'])} 至 "
                                  f"{day(p['closes_at'])}，名额 {p['quota']} 个")


def batch_closed(p: dict, names: Names) -> Notice:
    return Notice("申报批次截止", f"{names.of_batch(p['batch_id'])} 申报批次已截止申报")


def base_adjusted(p: dict, names: Names) -> Notice:
    name = names.of_base(p["base_id"])
    to_status = p["to_status"]
    title, headline = ADJUSTMENTS.get(to_status, ("状态调整", "{name} 的状态由“{from_}”调整为“{to}”"))
    text = headline.format(name=name, from_=STATUSES.get(p["from_status"], p["from_status"]),
                           to=STATUSES.get(to_status, to_status))
    if to_status == "warned" and p.get("rectification_deadline"):
        text += f"（整改期限：{day(p['rectification_deadline'])}）"
    if p.get("score") is not None:
        text += f"，综合评分 {p['score']}"
    return Notice(title, f"{text}。理由：{p['reason']}")


def funding_allocated(p: dict, names: Names) -> Notice:
    # 安排 (arranged), not 拨付 (paid): the money is paid tranche by tranche, each payment
    # its own FundingDisbursed notice; saying 拨付 here read as paying twice
    source = FUND_SOURCES.get(p["fund_source"], p["fund_source"])
    return Notice("资金安排", f"为 {names.of_base(p['base_id'])} 安排{source} {yuan(p['amount'])} 元"
                              f"（{p['fiscal_year']} 年度，用途：{p['purpose']}，分 "
                              f"{len(p['tranches'])} 笔拨付）")


def envelope_opened(p: dict, names: Names) -> Notice:
    source = FUND_SOURCES.get(p["fund_source"], p["fund_source"])
    return Notice("预算安排", f"{p['fiscal_year']} 年度{source}“{p['name']}”已下达，总额 "
                              f"{yuan(p['total'])} 元")


def funding_disbursed(p: dict, names: Names) -> Notice:
    return Notice("资金拨付", f"已向 {names.of_base(p['base_id'])} 拨付 {yuan(p['amount'])} 元"
                              f"（拨付节点：{MILESTONES.get(p['milestone'], p['milestone'])}）")


def funding_cancelled(p: dict, names: Names) -> Notice:
    return Notice("资金取消", f"{names.of_base(p['base_id'])} 尚未拨付的 {yuan(p['amount'])} 元已取消"
                              f"，退回预算。理由：{p['reason']}")


def recovery_demanded(p: dict, names: Names) -> Notice:
    return Notice("资金追回", f"{names.of_base(p['base_id'])} 须退回已拨付资金 {yuan(p['amount'])} 元。"
                              f"理由：{p['reason']}")


def funding_recovered(p: dict, names: Names) -> Notice:
    text = f"已收回 {names.of_base(p['base_id'])} 退回资金 {yuan(p['amount'])} 元"
    if p["outstanding"]:
        text += f"，尚余 {yuan(p['outstanding'])} 元待退回"
    return Notice("资金收回", text)


def round_closed(p: dict, names: Names) -> Notice:
    kind = {"inspection": "督促检查", "third_party": "第三方评估"}.get(p["kind"], p["kind"])
    counts: dict[str, int] = {}
    for grade in p["grades"]:
        counts[grade["grade"]] = counts.get(grade["grade"], 0) + 1
    summary = "，".join(f"{GRADES.get(g, g)} {n} 个" for g, n in counts.items())
    text = f"{p['name']}（{kind}，{p['period']}）已结束，共评估 {len(p['grades'])} 个基地"
    text += f"：{summary}" if summary else ""
    if p.get("withdrawn"):
        text += f"；另有 {len(p['withdrawn'])} 个基地在评估期间被撤销，未参加评定"
    return Notice("评估结果", text)


def annual_report_submitted(p: dict, names: Names) -> Notice:
    revision = f"（第 {p['version']} 版，替换此前版本）" if p["version"] > 1 else ""
    text = f"{names.of_base(p['base_id'])} 提交了 {p['year']} 年度自评报告{revision}"
    compared = [row["status"] for row in p["comparison"] if row["status"] != "no_target"]
    if compared:
        text += (f"；对照建设方案年度目标 {len(compared)} 项：达到 {compared.count('met')} 项，"
                 f"未达到 {compared.count('short')} 项")
    else:
        text += "；建设方案未设本年度目标"
    return Notice("年度自评", text)


PURPOSES = {"certification": "拟认定", "revocation": "拟撤销", "national_recommendation": "拟推荐国家级"}


def notice_published(p: dict, names: Names) -> Notice:
    listed = "、".join(entry["name"] for entry in p["entries"][:20])
    more = f"等 {len(p['entries'])} 个" if len(p["entries"]) > 20 else f"共 {len(p['entries'])} 个"
    return Notice("公示", f"《{p['title']}》公示（{PURPOSES.get(p['purpose'], p['purpose'])}）："
                          f"{listed}，{more}；公示期 {p['starts_on']} 至 {day(p['ends_at'])}"
                          f"（{p['working_days']} 个工作日），异议联系：{p['contact']}")


def objection_lodged(p: dict, names: Names) -> Notice:
    return Notice("公示异议", f"公示期间收到对 {names.of_base(p['base_id'])} 的异议"
                              f"（附材料 {len(p['documents'])} 份），省发展改革委将核查答复")


def objection_answered(p: dict, names: Names) -> Notice:
    outcome = "异议成立，该基地撤出公示名单" if p["upheld"] else "异议不成立"
    return Notice("异议答复", f"对 {names.of_base(p['base_id'])} 的公示异议已答复：{outcome}。"
                              f"理由：{p['reasons']}")


def notice_concluded(p: dict, names: Names) -> Notice:
    text = f"公示期满，{len(p['standing'])} 个基地{PURPOSES.get(p['purpose'], '').removeprefix('拟')}决定生效"
    if p["withdrawn"]:
        text += f"，{len(p['withdrawn'])} 个基地因异议成立撤出名单"
    return Notice("公示结束", text)


def decision_published(p: dict, names: Names) -> Notice:
    return Notice("决定印发", f"对 {names.of_base(p['base_id'])} 的第 {p['number']} 项决定已印发，"
                              f"文号 {p['document_number']}")


def _concerned(p: dict) -> str:
    return "、".join(f"{row['unit']}（{ROLES.get(row['role'], row['role'])}）" for row in p["concerned"])


def reminder_due(p: dict, names: Names) -> Notice:
    """Before the due day: how many days remain (the rule's kind of days); on it: today."""
    what = TODO_TASKS.get(p["task"], p["task"])
    when = "今天到期" if p["step"] == "due" else f"将于 {p['due_on']} 到期"
    return Notice(f"{what}提醒", f"{names.of_base(p['base_id'])} 的“{what}”{when}，"
                                 f"请{_concerned(p)}及时办理")


def overdue(p: dict, names: Names) -> Notice:
    what = TODO_TASKS.get(p["task"], p["task"])
    return Notice(f"{what}逾期", f"{names.of_base(p['base_id'])} 的“{what}”已于 {p['due_on']} "
                                 f"到期仍未完成，已逾期，请{_concerned(p)}尽快办理")


def national_call_opened(p: dict, names: Names) -> Notice:
    return Notice("国家级推荐", f"{p['year']}年推荐申报国家级双创示范基地工作启动：名额 {p['quota']} 个，"
                               f"从{p['round_name']}评为{GRADES[p['minimum_grade']]}及以上的基地中推荐")


def national_candidates_chosen(p: dict, names: Names) -> Notice:
    chosen = "、".join(row["name"] for row in p["candidates"][:20])
    return Notice("国家级推荐", f"{p['year']}年拟推荐申报国家级双创示范基地：{chosen}"
                               f"（共 {len(p['candidates'])} 个），将予公示")


def national_recommendation_submitted(p: dict, names: Names) -> Notice:
    return Notice("国家级推荐", f"{p['year']}年推荐申报国家级双创示范基地名单（{len(p['base_ids'])} 个）"
                               f"已报送，文号 {p['document_number']}")


def national_outcome_recorded(p: dict, names: Names) -> Notice:
    outcome = (f"入选国家级双创示范基地（{p['document_number']}，自 {p['effective_on']} 起）"
               if p["selected"] else "未入选国家级双创示范基地")
    return Notice("国家级推荐结果", f"{names.of_base(p['base_id'])} {outcome}")


TEMPLATES: dict[str, Callable[[dict, Names], Notice]] = {
    "ReminderDue": reminder_due,
    "Overdue": overdue,
    "NationalCallOpened": national_call_opened,
    "NationalCandidatesChosen": national_candidates_chosen,
    "NationalRecommendationSubmitted": national_recommendation_submitted,
    "NationalOutcomeRecorded": national_outcome_recorded,
    "DecisionPublished": decision_published,
    "NoticePublished": notice_published,
    "ObjectionLodged": objection_lodged,
    "ObjectionAnswered": objection_answered,
    "NoticeConcluded": notice_concluded,
    "BaseDeclared": base_declared,
    "PlanFiled": plan_filed,
    "PlanSubmitted": plan_submitted,
    "PlanReturned": plan_returned,
    "DeclarationReturned": declaration_returned,
    "DeclarationResubmitted": declaration_resubmitted,
    "BatchOpened": batch_opened,
    "BatchClosed": batch_closed,
    "BaseAdjusted": base_adjusted,
    "FundingAllocated": funding_allocated,
    "BudgetEnvelopeOpened": envelope_opened,
    "FundingDisbursed": funding_disbursed,
    "FundingCancelled": funding_cancelled,
    "FundingRecoveryDemanded": recovery_demanded,
    "FundingRecovered": funding_recovered,
    "RoundClosed": round_closed,
    "AnnualReportSubmitted": annual_report_submitted,
}


def generic(event_type: str, source: str, p: dict, names: Names) -> Notice:
    """For event types without a template (added after this was written)."""
    if p.get("base_id") is not None:
        about = names.of_base(p["base_id"])
    elif p.get("batch_id") is not None:
        about = names.of_batch(p["batch_id"])
    else:
        about = "双创示范基地工作"
    text = f"{about}：{SOURCE_NAMES.get(source, source)}发布了 {event_type} 事件"
    amounts = [value for key, value in p.items()
               if "amount" in key and isinstance(value, (Decimal, int)) and not isinstance(value, bool)]
    if len(amounts) == 1:
        text += f"，金额 {yuan(amounts[0])} 元"
    return Notice(event_type, text + "，详见事件数据")


def compose(event_type: str, source: str, payload: dict, names: Names) -> Notice:
    """The notice for an event (payload as loaded by its contract: UUIDs, Decimals,
    aware datetimes)."""
    template = TEMPLATES.get(event_type)
    if template is None:
        return generic(event_type, source, payload, names)
    return template(payload, names)
