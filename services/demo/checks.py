"""What the story must have led to. Each check reads the final report (which the services
answered) and says what it found, so a failed demo names the expectation it missed."""

from collections import Counter
from decimal import Decimal

from services.contracts.vocabulary import STATUSES

from . import data

TIME_LIMIT_SECONDS = 120


def checks(report: dict, elapsed: float) -> list[dict]:
    found = [*selection_checks(report["bases"]), *budget_checks(report),
             *notification_checks(report["notifications"]), queue_check(report["queues"]),
             integrity_check(report["integrity"]),
             ("两分钟内完成", elapsed < TIME_LIMIT_SECONDS, f"{elapsed:.1f} 秒")]
    return [{"check": name, "ok": bool(ok), "detail": detail} for name, ok, detail in found]


def selection_checks(bases: list[dict]) -> list[tuple]:
    """Certification of both batches, plans filed, and every kind of adjustment."""
    annex = [b for b in bases if b["first_batch_annex"]]
    others = [b for b in bases if b["batch"] == data.FIRST_BATCH and not b["first_batch_annex"]]
    second = [b for b in bases if b["batch"] == data.SECOND_BATCH]
    certified = sum("certified" in b["decisions"] for b in annex)
    of_record = sum((b["certification"] or {}).get("effective_on") == data.FIRST_BATCH_DECISION["effective_on"]
                    and b["certification"]["document_number"] == data.FIRST_BATCH_DECISION["document_number"]
                    for b in annex)
    filed = sum(bool(b["plan_filed_version"]) for b in annex)
    statuses = Counter(b["status"] for b in bases)
    ever = {status for b in bases for status in b["decisions"]}
    second_certified = sum(b["status"] == "certified" for b in second)
    return [
        ("第一批 12 个基地全部认定", len(annex) == 12 and certified == 12, f"{certified}/{len(annex)}"),
        ("第一批认定生效于 2017-09-07 政府文件", of_record == 12, f"{of_record}/12 附文号"),
        ("第一批其余申报未入选", len(others) == len(data.FIRST_BATCH_OTHERS)
         and all(b["status"] == "not_selected" for b in others), f"{len(others)} 个未入选"),
        ("12 个基地建设方案已备案", filed == 12, f"{filed}/12"),
        ("动态调整：推荐国家级、警示、撤销", {"recommended_national", "warned", "revoked"} <= ever
         and statuses["revoked"] == 1 and statuses["recommended_national"] >= 1,
         "，".join(f"{STATUSES[status]} {n}" for status, n in statuses.most_common())),
        # one proposed base is withdrawn by the upheld objection of its public notice
        ("第二批经公示认定", len(second) == len(data.SECOND_BATCH_DECLARATIONS)
         and second_certified == data.SECOND_BATCH_QUOTA - 1, f"{second_certified}/{len(second)} 认定"),
    ]


def budget_checks(report: dict) -> list[tuple]:
    """The envelope's figures against the allocations and funding's own definitions."""
    budget = {key: Decimal(value) for key, value in report["budget"].items()
              if key not in ("name", "fiscal_year", "fund_source_name", "allocations")}
    allocated = sum(Decimal(b["allocated"]) for b in report["bases"])
    remaining = budget["total"] - budget["allocated"] + budget["cancelled"] + budget["recovered"]
    return [
        ("预算：已分配 = 各基地分配之和", budget["allocated"] == allocated,
         f"{budget['allocated']:,.2f} = {allocated:,.2f}"),
        ("预算：结余 = 总额 − 已分配 + 已取消 + 已追回", budget["remaining"] == remaining,
         f"{budget['remaining']:,.2f}"),
        ("撤销基地资金全部追回", budget["recovery_demanded"] > 0
         and budget["recovered"] == budget["recovery_demanded"] and budget["outstanding_recovery"] == 0,
         f"应追回 {budget['recovery_demanded']:,.2f}，已追回 {budget['recovered']:,.2f}"),
    ]


def notification_checks(notes: dict) -> list[tuple]:
    """Every subscription heard of something, everything was delivered, and the webhook
    endpoint and the mailbox got exactly what notifications says it delivered."""
    subscriptions = notes["subscriptions"]
    webhook, mailbox = notes["webhook_receiver"], notes["mailbox"]
    by_channel = Counter()
    for subscription in subscriptions:
        by_channel[subscription["channel"]] += subscription["delivered"]
    return [
        ("通知全部送达", all(0 < s["delivered"] == s["events"] for s in subscriptions),
         ", ".join(f"{s['delivered']}/{s['events']}" for s in subscriptions)),
        ("Webhook 签名全部验证通过", webhook["rejected_signatures"] == 0
         and webhook["received"] == by_channel["webhook"],
         f"收到 {webhook['received']}，拒绝 {webhook['rejected_signatures']}"),
        ("电子邮件全部收到且附事件", mailbox["distinct_message_ids"] == by_channel["email"]
         and mailbox["with_event_attached"] == mailbox["received"], f"收到 {mailbox['received']} 封"),
    ]


def queue_check(queues: dict) -> tuple:
    lags = [lag for service in queues["lags"].values() for lag in service.values()]
    return ("无死信、无告警、积压为 0", queues["dead_letters"] == 0 and not queues["alerts"]
            and all(lag == 0 for lag in lags),
            f"死信 {queues['dead_letters']}，告警 {len(queues['alerts'])}")


def integrity_check(integrity: dict) -> tuple:
    intact = [s for s, r in integrity.items() if r["chain_intact"] and r["rebuild_identical"]]
    return ("日志哈希链完整，读模型重建与在线一致", len(intact) == len(integrity) == 4,
            f"{len(intact)}/{len(integrity)} 个服务")
