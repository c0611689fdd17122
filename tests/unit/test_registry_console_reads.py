"""The registry's answers for the console: the dashboard's counts (by kind, status, city
and month by month), the 基地 list's name search, department filter and order, and what
waits for each role (``GET /todo``) within its scope."""

from datetime import datetime, timedelta, timezone
from uuid import uuid4

import pytest

from services.backbone.kernel.context import Actor
from services.registry.application import RegistryApplication
from services.registry.domain import DeclarationBatch
from tests.support.fixtures import declaration

DRC = Actor(id=uuid4(), role="drc", name="省发展改革委")


@pytest.fixture
def app():
    app = RegistryApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    now = datetime.now(timezone.utc)
    batch = DeclarationBatch(batch_id=uuid4(), name="2017年第一批", opens_at=now - timedelta(days=1),
                             closes_at=now + timedelta(days=30), quota=12, ctx=DRC.context())
    app.save(batch)
    for name, kind, city, county, department in [
            ("孝义市", "regional", "吕梁市", "孝义市", "吕梁市发展改革委"),
            ("山西大学", "university", "太原市", "小店区", "山西省教育厅"),
            ("太原理工大学", "university", "太原市", "万柏林区", "山西省教育厅")]:
        app.declare(**{**declaration(batch.id, name=name, kind=kind, city=city, county=county,
                                     department=department), "batch_id": batch.id},
                    actor=DRC, ctx=DRC.context())
    return app


def base_named(app, name):
    return next(row for row in app.list_bases() if row["name"] == name)


def test_the_summary_counts_bases_by_kind_status_and_city(app):
    summary = app.stats_summary()
    assert summary["total"] == 3
    assert summary["by_kind"] == {"regional": 1, "university": 2}
    assert summary["by_status"] == {"declared": 3}
    assert summary["by_city"]["太原市"]["total"] == 2
    assert sorted(summary["by_city"]["太原市"]["names"]) == ["太原理工大学", "山西大学"]
    assert summary["by_city"]["大同市"]["total"] == 0  # every city of the map, even empty
    month = summary["over_time"][-1]
    assert month["by_kind"] == {"regional": 1, "university": 2}
    assert month["by_status"] == {"declared": 3}


def test_a_plan_waits_for_its_own_county_and_department_only(app):
    base = base_named(app, "孝义市")
    # The status comes from evaluation's decisions; a plan needs a certified base.
    record = app.get_base(base["base_id"])
    record.record_adjustment(from_status="declared", to_status="certified", reason="评选认定",
                             basis="晋政办发〔2017〕1号", decision={}, ctx=DRC.context())
    app.save(record)
    applicant = Actor(id=uuid4(), role="applicant", name="孝义市", base_ids=(base["base_id"],))
    assert [i["task"] for i in app.todo(applicant)] == ["draft_plan"]
    tasks = {"service_oriented_government": "x", "policy_measures": "x", "financing_channels": "x",
             "ecosystem": "x", "culture": "x"}
    app.draft_plan(base["base_id"], tasks=[{"task": k, "description": "建设内容" * 3} for k in tasks],
                   targets=[], actor=applicant, ctx=applicant.context())
    county = Actor(id=uuid4(), role="county_government", region=("吕梁市", "孝义市"))
    elsewhere = Actor(id=uuid4(), role="county_government", region=("太原市", "小店区"))
    department = Actor(id=uuid4(), role="competent_department", org="吕梁市发展改革委")
    other_department = Actor(id=uuid4(), role="competent_department", org="山西省教育厅")
    assert [i["base_name"] for i in app.todo(county)] == ["孝义市"]
    assert [i["task"] for i in app.todo(department)] == ["approve_plan"]
    assert app.todo(elsewhere) == [] and app.todo(other_department) == []
    assert app.todo(DRC) == []  # nothing to file before both approvals


def test_the_counts_follow_a_base_from_status_to_status(app):
    record = app.get_base(base_named(app, "孝义市")["base_id"])
    for before, after in (("declared", "certified"), ("certified", "warned")):
        record.record_adjustment(from_status=before, to_status=after, reason="评估决定",
                                 basis="evaluation", decision={}, ctx=DRC.context())
    app.save(record)
    summary = app.stats_summary()
    assert summary["by_status"] == {"declared": 2, "warned": 1}
    assert summary["by_city"]["吕梁市"]["by_status"] == {"warned": 1}
    assert summary["over_time"][-1]["by_status"] == {"declared": 2, "warned": 1}
