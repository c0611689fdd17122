"""``make demo`` end to end: the demo runs as a person runs it (a subprocess, nothing
configured), starts the four services as processes of its own, plays the 2017
programme through their HTTP APIs, and reports with ``--json`` what the platform looks
like at the end. One run, several rules about its report."""

import json
import subprocess
import sys
import time
from collections import Counter
from decimal import Decimal

import pytest

from services.backbone.config import PROJECT_ROOT
from services.contracts.text import comparison_key
from services.registry.fixtures import first_batch

pytestmark = pytest.mark.timeout(300)
TIME_LIMIT = 120


@pytest.fixture(scope="module")
def demo():
    """Runs the demo once; every test reads its exit status, time and report."""
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "-m", "services.demo", "--json"], cwd=PROJECT_ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        stdout, stderr = process.communicate(timeout=240)
    except subprocess.TimeoutExpired:
        process.terminate()  # as Ctrl-C: the demo stops its services and deletes its vhost
        stdout, stderr = process.communicate(timeout=60)
    elapsed = time.monotonic() - started
    try:
        report = json.loads(stdout)
    except ValueError:
        pytest.fail(f"no JSON report (exit {process.returncode}):\n{stderr[-4000:]}")
    return {"exit": process.returncode, "elapsed": elapsed, "report": report, "progress": stderr}


def bases(demo, **match) -> list[dict]:
    return [b for b in demo["report"]["bases"] if all(b[k] == v for k, v in match.items())]


def test_the_demo_exits_0_within_two_minutes_with_every_check_passed(demo):
    failed = [c for c in demo["report"]["checks"] if not c["ok"]]
    assert failed == [], demo["progress"][-3000:]
    assert demo["exit"] == 0, demo["progress"][-3000:]
    assert demo["elapsed"] < TIME_LIMIT


def test_the_twelve_bases_of_the_annex_are_certified_and_filed_their_plans(demo):
    annex = {comparison_key(base["name"]) for base in first_batch()}  # as the text policy compares names
    first = {comparison_key(b["name"]): b for b in bases(demo, batch="2017年第一批", first_batch_annex=True)}
    assert set(first) == annex
    assert all("certified" in b["decisions"] and b["plan_filed_version"] == 1 for b in first.values())


def test_the_other_first_batch_declarations_are_not_selected(demo):
    others = bases(demo, batch="2017年第一批", first_batch_annex=False)
    assert len(others) >= 3
    assert {b["status"] for b in others} == {"not_selected"}
    assert all(b["plan_filed_version"] is None and b["allocated"] == "0.00" for b in others)


def test_evaluation_warns_revokes_and_recommends_for_national_level(demo):
    statuses = Counter(b["status"] for b in bases(demo, first_batch_annex=True))
    assert statuses["revoked"] == 1 and statuses["recommended_national"] >= 1
    assert statuses["retained"] >= 1
    assert any("warned" in b["decisions"] for b in bases(demo, first_batch_annex=True))
    (revoked,) = bases(demo, status="revoked")
    assert revoked["decisions"][-2:] == ["warned", "revoked"]
    assert Decimal(revoked["cancelled"]) > 0 and revoked["recovered"] == revoked["disbursed"]


def test_the_second_batch_is_selected_and_certified(demo):
    second = Counter(b["status"] for b in bases(demo, batch="2018年第二批"))
    assert second["certified"] >= 1 and second["not_selected"] >= 1


def test_the_budget_summary_adds_up_as_funding_defines_it(demo):
    budget = {k: Decimal(v) for k, v in demo["report"]["budget"].items()
              if k not in ("name", "fiscal_year", "fund_source_name", "allocations")}
    rows = demo["report"]["bases"]
    assert budget["allocated"] == sum(Decimal(b["allocated"]) for b in rows) > 0
    assert budget["disbursed"] == sum(Decimal(b["disbursed"]) for b in rows)
    assert budget["cancelled"] == sum(Decimal(b["cancelled"]) for b in rows) > 0
    assert budget["recovered"] == budget["recovery_demanded"] > 0
    assert budget["remaining"] == (budget["total"] - budget["allocated"] + budget["cancelled"]
                                   + budget["recovered"])


def test_every_subscription_got_its_notifications_delivered(demo):
    notes = demo["report"]["notifications"]
    channels = {s["channel"] for s in notes["subscriptions"]}
    assert channels == {"inbox", "email", "webhook"}
    for subscription in notes["subscriptions"]:
        assert subscription["delivered"] == subscription["events"] > 0, subscription
        assert subscription["pending"] == subscription["failed"] == 0
    webhook = next(s for s in notes["subscriptions"] if s["channel"] == "webhook")
    assert notes["webhook_receiver"]["received"] == webhook["delivered"]
    assert notes["webhook_receiver"]["rejected_signatures"] == 0


def test_no_dead_letters_and_every_log_is_consumed(demo):
    queues = demo["report"]["queues"]
    assert queues["dead_letters"] == 0 and queues["alerts"] == []
    assert {service: set(lags.values()) for service, lags in queues["lags"].items()} == {
        "registry": {0}, "evaluation": {0}, "funding": {0}, "notifications": {0}}


def test_every_log_is_intact_and_its_read_models_rebuild_identically(demo):
    integrity = demo["report"]["integrity"]
    assert set(integrity) == {"registry", "evaluation", "funding", "notifications"}
    for service, checked in integrity.items():
        assert checked["chain_intact"] and checked["records"] > 0, service
        assert checked["rebuild_identical"], (service, checked["rebuild_output"])
