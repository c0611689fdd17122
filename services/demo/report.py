"""The end of the demo: wait until the platform has settled, read what it looks like
through the same APIs and ops tools people use, and check it against the story.

Everything in the report is read back from the services (never from what the demo
believes it did), so a check that holds is the platform's own answer.
"""

import os
import subprocess
import sys
import time
from collections import Counter
from decimal import Decimal

from services.backbone.ops import monitor
from services.backbone.config import PROJECT_ROOT
from services.backbone.runner import SERVICE_CLASSES
from services.backbone.settings import Settings
from services.contracts.text import comparison_key
from services.registry.fixtures import first_batch

from .checks import checks
from .launcher import Launcher
from .mailbox import Mailbox
from .polling import wait_for
from .programme import Programme
from .receiver import WebhookReceiver

MONEY_FIELDS = ("allocated", "disbursed", "cancelled", "recovered")
ANNEX = {comparison_key(base["name"]) for base in first_batch()}  # the policy's twelve, by key


def settle(p: Programme, launcher: Launcher) -> None:
    """Waits until every relay has published its log, every consumer has applied
    everything, and notifications has no delivery left to attempt."""
    settings, ops = Settings.from_dict(launcher.config()), p.cast.ops.headers["Authorization"]
    wait_for(lambda: _all_caught_up(monitor.service_statuses(settings, ops)), timeout=30,
             what="every service to publish and apply all events")
    wait_for(lambda: not _unfinished(p), timeout=30, what="notifications to deliver everything")
    p.step("平台已稳定：各服务日志全部发布并被消费，通知全部投递完毕")


def _all_caught_up(statuses: dict) -> bool:
    if any("error" in status for status in statuses.values()):
        return False
    published = {name: status["relay"]["published"] for name, status in statuses.items()}
    return all(status["relay"]["lag"] == 0 and all(
        consumer["last_position"] >= (published.get(source) or 0)
        for source, consumer in status["consumers"].items()) for status in statuses.values())


def _unfinished(p: Programme) -> int:
    return sum(p.api.get(p.drc, "notifications", "/deliveries", status=status, limit=1)["total"]
               for status in ("pending", "sending"))


def collect(p: Programme, launcher: Launcher, receiver: WebhookReceiver,
            mailbox: Mailbox) -> dict:
    """The report, read back from the services, with the checks and their verdict."""
    report = {
        "bases": bases_report(p),
        "budget": budget_report(p),
        "notifications": notifications_report(p, receiver, mailbox),
        "queues": queues_report(p, launcher),
        "integrity": integrity_report(p, launcher),
    }
    report["elapsed_seconds"] = elapsed = round(time.monotonic() - p.started, 1)
    report["api_calls"] = p.api.calls
    report["checks"] = checks(report, elapsed)
    report["ok"] = all(check["ok"] for check in report["checks"])
    p.step(f"运维核查：{len(report['integrity'])} 个服务的日志和读模型，"
           f"{sum(c['ok'] for c in report['checks'])}/{len(report['checks'])} 项检查通过")
    return report


def bases_report(p: Programme) -> list[dict]:
    """Every base: registry's status of record and plan, evaluation's decisions, and
    funding's money."""
    batch_names = {batch_id: name for name, batch_id in p.batches.items()}
    history: dict[str, list[str]] = {}
    certified: dict[str, dict] = {}  # the date and 文号 of a base's certification
    for decision in p.api.get(p.drc, "evaluation", "/decisions")["decisions"]:
        history.setdefault(decision["base_id"], []).append(decision["to_status"])
        if decision["to_status"] == "certified":
            certified[decision["base_id"]] = {"effective_on": decision["effective_on"],
                                              "document_number": decision["document_number"]}
    rows = []
    for row in p.api.get(p.drc, "registry", "/bases")["bases"]:
        money = _money_of(p, row["base_id"]) if row["filed_version"] else {}
        rows.append({
            "base_id": row["base_id"], "name": row["name"], "kind": row["kind"],
            "region": f"{row['region']['city']}{row['region']['county']}",
            "batch": batch_names.get(row["batch_id"], row["batch_id"]),
            "status": row["status"], "decisions": history.get(row["base_id"], []),
            "certification": certified.get(row["base_id"]),
            "first_batch_annex": comparison_key(row["name"]) in ANNEX,
            "plan_filed_version": row["filed_version"],
            **{key: money.get(key, "0.00") for key in MONEY_FIELDS},
        })
    return sorted(rows, key=lambda r: (r["batch"], -Decimal(r["allocated"]), r["name"]))


def _money_of(p: Programme, base_id: str) -> dict:
    funding = p.api.get(p.cast.funding_office, "funding", f"/bases/{base_id}/funding")
    totals = dict.fromkeys(MONEY_FIELDS, Decimal(0))
    for allocation in funding["allocations"]:
        totals["allocated"] += Decimal(allocation["amount"])
        for key in ("disbursed", "cancelled", "recovered"):
            totals[key] += Decimal(allocation[key])
    return {key: f"{value:.2f}" for key, value in totals.items()}


def budget_report(p: Programme) -> dict:
    envelope = p.api.get(p.cast.funding_office, "funding", f"/envelopes/{p.envelope_id}")
    keys = ("name", "fiscal_year", "fund_source_name", "total", "allocated", "disbursed",
            "cancelled", "recovery_demanded", "recovered", "outstanding_recovery", "remaining",
            "allocations")
    return {key: envelope[key] for key in keys}


def notifications_report(p: Programme, receiver: WebhookReceiver, mailbox: Mailbox) -> dict:
    """Per subscription: deliveries by status and a few messages; and what the webhook
    endpoint and the mail server received."""
    subscriptions, shown = [], set()
    for subscription in p.subscriptions:
        deliveries = p.api.get(p.drc, "notifications", "/deliveries", limit=5000,
                               subscription_id=subscription["subscription_id"])["deliveries"]
        statuses = Counter(d["status"] for d in deliveries)
        owner = subscription["owner_person"]
        entry = {"label": subscription["label"], "owner": owner.name,
                 "channel": subscription["channel"]["kind"], "events": len(deliveries),
                 **{status: statuses.get(status, 0)
                    for status in ("delivered", "pending", "sending", "failed", "abandoned")},
                 "samples": _samples(deliveries, shown)}
        if entry["channel"] == "inbox":
            entry["inbox_unread"] = p.api.get(owner, "notifications", "/inbox/unread-count")["unread"]
        subscriptions.append(entry)
    webhook = {"received": len(receiver.deliveries), "requests": receiver.requests,
               "rejected_signatures": receiver.rejected, "duplicates": receiver.duplicates}
    return {"subscriptions": subscriptions, "webhook_receiver": webhook, "mailbox": mailbox.summary()}


def _samples(deliveries: list[dict], shown: set, size: int = 2) -> list[str]:
    """A few messages, most recent first, of kinds no other subscription showed yet."""
    samples = []
    for delivery in deliveries:
        if delivery["title"] not in shown and len(samples) < size:
            shown.add(delivery["title"])
            samples.append(f"【{delivery['title']}】{delivery['message']}")
    return samples


def queues_report(p: Programme, launcher: Launcher) -> dict:
    """``sc queues`` as ops sees it: queues, dead letters, relay and consumer lags. The
    management API's figures can be seconds old, so each service also lists its
    dead-letter queues' messages itself."""
    report = monitor.platform_report(Settings.from_dict(launcher.config()), p.cast.ops.headers["Authorization"])
    listed = sum(len(p.api.get(p.cast.ops, service, "/ops/dead-letters")["dead_letters"])
                 for service in SERVICE_CLASSES)
    lags = {}
    for service, status in report["services"].items():
        if "error" in status:
            lags[service] = {"error": status["error"]}
            continue
        lags[service] = {"relay": status["relay"]["lag"],
                         **{f"from {source}": consumer["lag"]
                            for source, consumer in status["consumers"].items()}}
    return {
        "figures_from": report["figures_from"],
        "queues": [{key: q[key] for key in ("name", "kind", "messages", "consumers")}
                   for q in report["queues"]],
        "dead_letters": max(listed, sum(q["messages"] for q in report["queues"]
                                        if q["kind"] == "dead_letter")),
        "lags": lags, "alerts": report["alerts"],
    }


def integrity_report(p: Programme, launcher: Launcher) -> dict:
    """Ops checks each service's hash-chained log (``/ops/verify``) and rebuilds its read
    models from position 0 beside the live ones (``sc rebuild --compare``, one process
    per service, at once)."""
    environ = {**os.environ, **launcher.environment()}
    rebuilds = {service: subprocess.Popen(
        [sys.executable, "-W", "ignore", "-m", "services.cli", "rebuild", service, "--compare"],
        cwd=PROJECT_ROOT, env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for service in SERVICE_CLASSES}
    report = {}
    for service, rebuild in rebuilds.items():
        verified = p.api.get(p.cast.ops, service, "/ops/verify")
        output, _ = rebuild.communicate(timeout=60)
        report[service] = {"records": verified["checked"], "chain_intact": verified["ok"],
                           "rebuild_identical": rebuild.returncode == 0,
                           "rebuild_output": output.strip().splitlines()[-1:]}
    return report
