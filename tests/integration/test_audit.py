"""The audit trail: by base, actor, role, event type and time; JSON and CSV; an audit
that could not ask every service says so."""

import csv
import io
from datetime import datetime, timezone
from uuid import UUID

import requests

from services.backbone.audit import audit_entries
from tests.integration.conftest import open_batch
from tests.integration.test_registry_plans import Actors, approve, declared_and_certified, put_plan
from tests.support.fixtures import declaration


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

    by_base = audit_entries(registry, {"base_id": UUID(base_id)})
    assert [e["event"] for e in by_base] == ["Base.Declared", "Base.StatusRecorded",
                                             "Base.PlanDrafted", "Base.PlanApproved"]
    assert by_base[1]["reason"] == "评选认定"
    by_actor = audit_entries(registry, {"actor_id": actors.applicant_id})
    assert {e["event"] for e in by_actor} == {"Base.Declared", "Base.PlanDrafted"}
    by_role = audit_entries(registry, {"role": "county_government"})
    assert [e["event"] for e in by_role] == ["Base.PlanApproved"]
    assert [e["base_id"] for e in audit_entries(registry, {"event_type": "Declared"})] == [
        UUID(base_id), UUID(other["base_id"])]
    future = datetime(2100, 1, 1, tzinfo=timezone.utc)
    assert audit_entries(registry, {"since": future}) == []
    assert len(audit_entries(registry, {"until": future, "limit": 2})) == 2


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


def test_audit_csv_opens_in_a_spreadsheet(platform, evaluation_log, container_factory):
    from services.backbone.entrypoints import rpc
    from services.backbone.topology import SUBSCRIPTIONS

    platform.start("registry")
    declared_and_certified(platform, evaluation_log, Actors(platform))
    for name in sorted(set(SUBSCRIPTIONS) - {"registry"}):  # empty services answer with nothing
        container_factory(type(f"Empty{name}", (), {"name": name, "audit_entries": rpc(lambda self, **q: [])}),
                          platform.config_for_clients()).start()
    response = requests.get(platform.url("registry", "/ops/audit.csv"), headers=platform.headers("ops"))
    assert response.status_code == 200, response.text
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [r["event"] for r in rows] == ["DeclarationBatch.Opened", "Base.Declared", "Base.StatusRecorded"]
    assert rows[2]["reason"] == "评选认定" and rows[1]["actor_role"] == "applicant"
