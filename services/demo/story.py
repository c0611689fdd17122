"""The programme in the order the policy of 7 September 2017 sets it (section 五, 工作步骤),
each step as the actor who takes it in reality."""

from collections import Counter

from . import data
from .adjustment import evaluate_2018, inspect_and_revoke, rectify
from .construction import allocate_and_pay, file_plans
from .programme import Programme
from .receiver import WebhookReceiver
from .notice import run_batch_with_notice
from .selection import load_rubrics, record_batch

FUNDING_EVENTS = ["BudgetEnvelopeOpened", "FundingAllocated", "FundingDisbursed",
                  "FundingCancelled", "FundingRecoveryDemanded", "FundingRecovered"]
CHANNEL_NAMES = {"inbox": "站内信", "email": "电子邮件", "webhook": "Webhook"}
WEBHOOK_COUNTY = {"city": "吕梁市", "county": "交城县"}
MAIL_ADDRESS = "jiuye-chuangye@rst.shanxi.example"


def subscribe(p: Programme, receiver: WebhookReceiver) -> None:
    """Departments and a county subscribe before anything happens, so that they hear
    of everything (a subscription hears of events consumed after it was made)."""
    inbox = {"kind": "inbox"}
    wanted = [
        (p.cast.department("山西省科学技术厅"), "省级双创示范基地认定与动态调整",
         {"event_types": ["BaseAdjusted"]}, inbox),
        (p.cast.department("山西省财政厅"), "省级预算内资金安排、拨付与追回",
         {"event_types": FUNDING_EVENTS}, inbox),
        (p.cast.department("山西省教育厅"), "高校和科研院所示范基地动态",
         {"kinds": ["university"]}, inbox),
        (p.cast.department("山西省人力资源和社会保障厅"), "示范基地认定、调整和评估结果",
         {"event_types": ["BaseAdjusted", "RoundClosed"]}, {"kind": "email", "address": MAIL_ADDRESS}),
        (p.cast.county(WEBHOOK_COUNTY, data.county_government_name(WEBHOOK_COUNTY)),
         "本县双创示范基地动态（政务系统对接）", {"regions": [WEBHOOK_COUNTY]},
         {"kind": "webhook", "url": receiver.url}),
    ]
    for owner, label, event_filter, channel in wanted:
        created = p.api.post(owner, "notifications", "/subscriptions",
                             {"label": label, "filter": event_filter, "channel": channel}, expect=201)
        if channel["kind"] == "webhook":
            receiver.secret = created["channel"]["secret"]  # given once, in this answer
        p.subscriptions.append({**created, "owner_person": owner})
    channels = Counter(CHANNEL_NAMES[channel["kind"]] for *_, channel in wanted)
    p.step(f"订阅通知：{len(wanted)} 个订阅（" + "，".join(f"{k} {n} 个" for k, n in channels.items())
           + "），Webhook 签名密钥已交给接收端")


def play(p: Programme, receiver: WebhookReceiver) -> None:
    """The whole programme, 2017 to 2018."""
    load_rubrics(p)
    subscribe(p, receiver)
    annex = [base["name"] for base in data.first_batch()]
    record_batch(p, data.FIRST_BATCH, 12, data.first_batch_declarations(), annex,
                 data.FIRST_BATCH_DECISION, data.first_batch_document())
    certified = [p.base_of(d) for d in p.decisions[data.FIRST_BATCH]
                 if d["to_status"] == "certified"]
    file_plans(p, certified)
    allocate_and_pay(p, certified)
    evaluate_2018(p, certified)
    rectify(p)
    inspect_and_revoke(p)
    run_batch_with_notice(p, data.SECOND_BATCH, data.SECOND_BATCH_QUOTA, data.SECOND_BATCH_DECLARATIONS)
