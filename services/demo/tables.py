"""The final report as a person reads it at a terminal: aligned tables, Chinese labels,
money with thousands separators (``services.backbone.ops.terminal`` measures the columns)."""

from decimal import Decimal

from services.backbone.ops.terminal import table
from services.contracts.vocabulary import STATUSES

KIND_SHORT = {"regional": "区域", "university": "高校院所", "enterprise": "企业"}


def yuan(amount: str) -> str:
    value = Decimal(amount)
    return f"{value:,.2f}" if value else "—"


def bases_table(report: dict) -> str:
    rows = [{
        "name": b["name"], "kind": KIND_SHORT.get(b["kind"], b["kind"]), "region": b["region"],
        "batch": b["batch"], "status": STATUSES.get(b["status"], b["status"]),
        "plan": f"第{b['plan_filed_version']}版" if b["plan_filed_version"] else "—",
        **{key: yuan(b[key]) for key in ("allocated", "disbursed", "cancelled", "recovered")},
    } for b in report["bases"]]
    headers = {"name": "基地", "kind": "类型", "region": "地区", "batch": "批次", "status": "状态",
               "plan": "方案备案", "allocated": "已分配（元）", "disbursed": "已拨付（元）",
               "cancelled": "已取消（元）", "recovered": "已追回（元）"}
    return table(rows, list(headers), headers)


def budget_table(report: dict) -> str:
    budget = report["budget"]
    labels = [("total", "预算总额"), ("allocated", "已分配"), ("disbursed", "已拨付"),
              ("cancelled", "已取消（退回预算）"), ("recovery_demanded", "应追回"),
              ("recovered", "已追回（退回预算）"), ("outstanding_recovery", "尚待追回"),
              ("remaining", "结余（总额 − 已分配 + 已取消 + 已追回）")]
    rows = [{"item": label, "amount": f"{Decimal(budget[key]):,.2f}"} for key, label in labels]
    title = f"{budget['name']}（{budget['fiscal_year']} 年度{budget['fund_source_name']}，" \
            f"{budget['allocations']} 笔分配）"
    return title + "\n" + table(rows, ["item", "amount"], {"item": "项目", "amount": "金额（元）"})


def notifications_table(report: dict) -> str:
    notes = report["notifications"]
    rows = [{"owner": s["owner"], "label": s["label"], "channel": s["channel"],
             "delivered": s["delivered"], "pending": s["pending"] + s["sending"],
             "failed": s["failed"], "unread": s.get("inbox_unread", "")}
            for s in notes["subscriptions"]]
    headers = {"owner": "订阅方", "label": "订阅", "channel": "渠道", "delivered": "已送达",
               "pending": "待投递", "failed": "失败", "unread": "未读"}
    webhook, mailbox = notes["webhook_receiver"], notes["mailbox"]
    lines = [table(rows, list(headers), headers),
             f"Webhook 接收端：收到 {webhook['received']} 条（{webhook['requests']} 次请求），"
             f"签名验证失败 {webhook['rejected_signatures']} 次，重复 {webhook['duplicates']} 次",
             f"邮件服务器：收到 {mailbox['received']} 封，均附 event.json："
             f"{mailbox['with_event_attached']} 封",
             "", "消息示例："]
    for subscription in notes["subscriptions"]:
        for sample in subscription["samples"]:
            lines.append(f"  {subscription['owner']}：{sample}")
    return "\n".join(lines)


def queues_table(report: dict) -> str:
    queues = report["queues"]
    rows = []
    for service, lags in queues["lags"].items():
        if "error" in lags:
            rows.append({"service": service, "relay": lags["error"]})
            continue
        rows.append({"service": service, "relay": lags["relay"],
                     "consumers": "，".join(f"{k} {v}" for k, v in lags.items() if k != "relay") or "—"})
    headers = {"service": "服务", "relay": "发布积压", "consumers": "消费积压"}
    for row in rows:
        checked = report["integrity"].get(row["service"], {})
        row["log"] = (f"{checked['records']} 条，哈希链{'完整' if checked['chain_intact'] else '断裂'}，"
                      f"重建{'一致' if checked['rebuild_identical'] else '不一致'}") if checked else ""
    headers = {**headers, "log": "日志核查"}
    alerts = "\n".join(f"  ! {alert}" for alert in queues["alerts"]) or "  无告警"
    return (f"{len(queues['queues'])} 个队列，死信 {queues['dead_letters']} 条"
            f"（数据来自 {queues['figures_from']}）\n" + table(rows, list(headers), headers)
            + "\n" + alerts)


def checks_table(report: dict) -> str:
    rows = [{"ok": "✓" if c["ok"] else "✗", "check": c["check"], "detail": c["detail"]}
            for c in report["checks"]]
    return table(rows, ["ok", "check", "detail"], {"ok": "", "check": "检查", "detail": "结果"})


def render(report: dict) -> str:
    sections = [("基地状态", bases_table), ("预算执行", budget_table),
                ("通知投递", notifications_table), ("队列健康", queues_table),
                ("检查", checks_table)]
    parts = [f"\n== {title} ==\n{draw(report)}" for title, draw in sections]
    verdict = "全部符合预期" if report["ok"] else "有检查未通过"
    parts.append(f"\n用时 {report['elapsed_seconds']} 秒，{report['api_calls']} 次接口调用：{verdict}")
    return "\n".join(parts)
