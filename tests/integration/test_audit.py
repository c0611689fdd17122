"""The audit trail: by base, actor, role, event type and time; JSON and CSV; an audit
that could not ask every service says so; secrets are never in it, and personal data
only for those who work with the base."""

import csv
import io
from datetime import datetime, timezone
from uuid import UUID, uuid4

import requests

from services.backbone.eventstore.audit import audit_entries
from services.backbone.kernel.context import Actor
from tests.integration.conftest import open_batch
from tests.integration.test_registry_plans import Actors, approve, declared_and_certified, put_plan
from tests.support.fixtures import declaration
from tests.support.platform import wait_until

DRC = Actor(id=uuid4(), role="drc", name="省发展改革委")


def test_audit_by_base_actor_type_and_time(platform, evaluation_log):
    platform.start("registry")
    actors = Actors(platform)
    base_id = declared_and_certified(platform, evaluation_log, actors)
    regional = declaration(open_batch(platform, evaluation_log), name="孝义市", kind="regional",
                           city="吕梁市", county="孝义市", department="孝义市发展和改革局")
    other = requests.post(platform.url("registry", "/bases"), json=regional,
                          headers=platform.headers("drc")).json()
    put_plan(platform, base_id, actors.applicant())
    approve(platform, base_id, actors.county())
    registry = platform.app("registry")

    by_base = audit_entries(registry, {"base_id": UUID(base_id)}, DRC)
    assert [e["event"] for e in by_base] == ["Base.Declared", "Base.StatusRecorded",
                                             "Base.PlanDrafted", "Base.PlanSubmitted", "Base.PlanApproved"]
    assert by_base[1]["reason"] == "评选认定"
    by_actor = audit_entries(registry, {"actor_id": actors.applicant_id}, DRC)
    assert {e["event"] for e in by_actor} == {"Base.Declared", "DeclaringUnit.FirstDeclared",
                                              "Base.PlanDrafted", "Base.PlanSubmitted"}
    by_role = audit_entries(registry, {"role": "county_government"}, DRC)
    assert [e["event"] for e in by_role] == ["Base.PlanApproved"]
    assert [e["base_id"] for e in audit_entries(registry, {"event_type": "Declared"}, DRC)] == [
        UUID(base_id), UUID(other["base_id"])]
    future = datetime(2100, 1, 1, tzinfo=timezone.utc)
    assert audit_entries(registry, {"since": future}, DRC) == []
    assert len(audit_entries(registry, {"until": future, "limit": 2}, DRC)) == 2


def test_the_platform_audit_is_marked_incomplete_when_a_service_is_down(platform, evaluation_log):
    platform.start("registry")
    declared_and_certified(platform, evaluation_log, Actors(platform))
    response = requests.get(platform.url("registry", "/ops/audit"), params={"event_type": "Declared"},
                            headers=platform.headers("drc"))
    assert response.status_code == 200
    report = response.json()
    assert report["complete"] is False
    assert sorted(m.split(":")[0] for m in report["missing"]) == ["evaluation", "funding", "notifications"]
    assert [e["event"] for e in report["entries"]] == ["Base.Declared"]
    assert requests.get(platform.url("registry", "/ops/audit.csv"),
                        headers=platform.headers("drc")).status_code == 503
    assert requests.get(platform.url("registry", "/ops/audit"),
                        headers=platform.headers("applicant")).status_code == 403


def empty_services_but(platform, container_factory, *running):
    """Stand-ins answering the audit with nothing for the services not running, so that
    the audit is complete (the CSV is refused otherwise)."""
    from services.backbone.web.entrypoints import rpc
    from services.backbone.messaging.topology import SUBSCRIPTIONS

    for name in sorted(set(SUBSCRIPTIONS) - set(running)):
        container_factory(type(f"Empty{name}", (), {"name": name, "audit_entries": rpc(lambda self, **q: [])}),
                          platform.config_for_clients()).start()


def test_audit_csv_opens_in_a_spreadsheet(platform, evaluation_log, container_factory):
    platform.start("registry")
    declared_and_certified(platform, evaluation_log, Actors(platform))
    empty_services_but(platform, container_factory, "registry")
    response = requests.get(platform.url("registry", "/ops/audit.csv"), headers=platform.headers("ops"))
    assert response.status_code == 200, response.text
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    every_row = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    # the certification also schedules the annual report's reminders (docs/deadlines.md)
    assert any(r["event"] == "Deadline.Set" for r in every_row)
    rows = [r for r in every_row if not r["event"].startswith("Deadline.")]
    assert [r["event"] for r in rows] == ["DeclarationBatch.Opened", "DeclaringUnit.FirstDeclared",
                                          "Base.Declared", "Base.StatusRecorded"]
    assert rows[3]["reason"] == "评选认定" and rows[2]["actor_role"] == "applicant"


def test_a_webhooks_signing_secret_is_never_in_the_audit(platform, container_factory):
    platform.start("notifications")
    empty_services_but(platform, container_factory, "notifications")
    secret, renewed = "whsec-" + "a1" * 16, "whsec-" + "b2" * 16
    owner = platform.headers("department", name="山西省科学技术厅")
    subscribed = requests.post(platform.url("notifications", "/subscriptions"), headers=owner, json={
        "label": "科技厅", "channel": {"kind": "webhook", "url": "http://127.0.0.1:9/hook", "secret": secret}})
    assert subscribed.status_code == 201, subscribed.text
    changed = requests.patch(platform.url("notifications", f"/subscriptions/{subscribed.json()['subscription_id']}"),
                             json={"channel": {"secret": renewed}}, headers=owner)
    assert changed.status_code == 200, changed.text

    for role in ("ops", "drc"):
        audit = requests.get(platform.url("notifications", "/ops/audit"), headers=platform.headers(role))
        assert audit.status_code == 200, audit.text
        entries = {e["event"]: e for e in audit.json()["entries"]}
        assert entries["Subscription.Subscribed"]["data"]["channel"] == {
            "kind": "webhook", "url": "http://127.0.0.1:9/hook", "secret": "[redacted]"}
        assert entries["Subscription.Changed"]["data"]["channel"]["secret"] == "[redacted]"
        assert secret not in audit.text and renewed not in audit.text
        exported = requests.get(platform.url("notifications", "/ops/audit.csv"), headers=platform.headers(role))
        assert exported.status_code == 200, exported.text
        assert "[redacted]" in exported.text
        assert secret not in exported.text and renewed not in exported.text


def test_contacts_in_the_audit_only_for_those_who_work_with_the_base(platform, evaluation_log):
    platform.start("registry", "notifications")
    # The DRC's own deliveries hold the contacts (it may read them); ops' audit may not.
    requests.post(platform.url("notifications", "/subscriptions"), headers=platform.headers("drc"),
                  json={"label": "申报", "channel": {"kind": "inbox"},
                        "filter": {"event_types": ["BaseDeclared"]}}).raise_for_status()
    batch_id = open_batch(platform, evaluation_log)
    requests.post(platform.url("registry", "/bases"), json=declaration(batch_id),
                  headers=platform.applicant()).raise_for_status()
    notifications = platform.app("notifications")
    wait_until(lambda: any(type(e).__qualname__ == "Delivery.Scheduled" for _, e in notifications.all_events()),
               message="the declaration's delivery")

    def audit(role, event_type):
        answer = requests.get(platform.url("registry", "/ops/audit"), params={"event_type": event_type},
                              headers=platform.headers(role))
        assert answer.status_code == 200, answer.text
        (entry,) = answer.json()["entries"]
        return entry, answer.text

    declared, text = audit("ops", "Base.Declared")
    assert declared["data"]["contacts"] is None and declared["withheld"] == ["data.contacts"]
    assert declared["data"]["name"] == "山西大学"  # the rest of the declaration is there
    assert "0351-7010000" not in text and "张三" not in text
    scheduled, text = audit("ops", "Delivery.Scheduled")
    assert scheduled["data"]["envelope"]["payload"]["contacts"] is None
    assert scheduled["withheld"] == ["data.envelope.payload.contacts"]
    assert "0351-7010000" not in text

    declared, _ = audit("drc", "Base.Declared")
    assert declared["data"]["contacts"][0]["phone"] == "0351-7010000" and "withheld" not in declared
    scheduled, _ = audit("drc", "Delivery.Scheduled")
    assert scheduled["data"]["envelope"]["payload"]["contacts"][0]["name"] == "张三"


def test_an_audit_longer_than_a_page_says_so_and_the_exports_page_through_it(platform, evaluation_log,
                                                                            container_factory):
    """Registry and notifications both have entries (notifications notes the batch and
    bases the registry publishes), so the pages interleave two logs."""
    import json
    import subprocess
    import sys

    from services.backbone.config import PROJECT_ROOT

    platform.start("registry", "notifications")
    empty_services_but(platform, container_factory, "registry", "notifications")
    batch_id = open_batch(platform, evaluation_log)
    for name in ("山西大学", "太原理工大学", "中北大学"):
        requests.post(platform.url("registry", "/bases"), json=declaration(batch_id, name=name),
                      headers=platform.headers("drc")).raise_for_status()
    notifications = platform.app("notifications")
    wait_until(lambda: notifications.last_position("registry") >= platform.app("registry").head())

    def page(**params):
        answer = requests.get(platform.url("registry", "/ops/audit"), params=params, headers=platform.headers("ops"))
        assert answer.status_code == 200, answer.text
        return answer.json()

    whole = page()
    assert (whole["complete"], whole["truncated"], whole["cursor"]) == (True, False, None)
    keys = [(e["service"], e["position"]) for e in whole["entries"]]
    assert len(keys) >= 8 and {service for service, _ in keys} == {"registry", "notifications"}

    pages, answer = [], page(limit=3)
    while True:
        pages.append(answer)
        if not answer["truncated"]:
            break
        assert answer["complete"] is False and len(answer["entries"]) == 3
        assert answer["next"].startswith("/ops/audit?") and "cursor=" in answer["next"]
        answer = page(limit=3, cursor=answer["cursor"])
    assert [(e["service"], e["position"]) for p in pages for e in p["entries"]] == keys
    assert pages[-1]["complete"] is True and len(pages) == -(-len(keys) // 3)

    exported = requests.get(platform.url("registry", "/ops/audit.csv"), params={"limit": 3},
                            headers=platform.headers("ops"))
    assert exported.status_code == 200, exported.text
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8").lstrip("\ufeff"))))
    assert [(r["service"], int(r["position"])) for r in rows] == keys

    cli = subprocess.run([sys.executable, "-m", "services.cli", "audit", "--json", "--limit", "3"],
                         cwd=PROJECT_ROOT, env=platform.environment(), capture_output=True, text=True,
                         timeout=120)
    assert cli.returncode == 0, cli.stderr
    assert [(e["service"], e["position"]) for e in json.loads(cli.stdout)["entries"]] == keys
    assert f"audit entries: {len(keys)}" in cli.stderr  # progress, for a person

    bad = requests.get(platform.url("registry", "/ops/audit"), params={"cursor": "registry:x"},
                       headers=platform.headers("ops"))
    assert bad.status_code == 400 and "cursor" in bad.json()["error"]["fields"]
