"""The Base aggregate's rules, without any infrastructure."""

from datetime import datetime, timezone
from uuid import uuid4

import pytest

from services.backbone.kernel.context import Actor
from services.backbone.kernel.errors import Conflict, Forbidden, RuleViolation
from services.registry.domain import Base, DeclarationBatch, normalize_name

NOW = datetime(2017, 10, 1, tzinfo=timezone.utc)
APPLICANT = Actor(id=uuid4(), role="applicant", name="太原理工大学")
COUNTY = Actor(id=uuid4(), role="county_government", name="万柏林区人民政府",
               region=("太原市", "万柏林区"))
DEPARTMENT = Actor(id=uuid4(), role="competent_department", name="山西省教育厅", org="山西省教育厅")
TASKS = [{"task": t, "measures": "措施"} for t in
         ("talent_cultivation", "technology_transfer", "student_entrepreneurship", "support_services")]
TARGETS = [{"metric": "patents", "value": "20", "due": "2018-12-31"}]


def new_base(batch_id=None) -> Base:
    return Base(name="太原理工大学", kind="university", region={"city": "太原市", "county": "万柏林区"},
                competent_department="山西省教育厅", batch_id=batch_id or uuid4(),
                contacts=[{"name": "李四", "phone": "0351-6010000", "email": None, "role": "primary"}],
                declared_by=APPLICANT.id, ctx=APPLICANT.context())


def certified(base: Base) -> Base:
    base.record_adjustment(from_status="declared", to_status="certified", reason="评选认定",
                           basis="selection", decision={}, ctx=APPLICANT.context())
    return base


def approved(base: Base) -> Base:
    base.draft_plan(tasks=TASKS, targets=TARGETS, actor=APPLICANT, ctx=APPLICANT.context())
    for actor in (COUNTY, DEPARTMENT):
        base.approve_plan(version=base.plan["version"], actor=actor, approved_at=NOW,
                          ctx=actor.context())
    return base


def test_the_same_name_in_the_same_batch_has_the_same_id():
    batch = uuid4()
    assert Base.create_id("启迪（太原）科技园", batch) == Base.create_id(" 启迪(太原)科技园 ", batch)
    assert Base.create_id("山西大学", batch) != Base.create_id("山西大学", uuid4())
    assert normalize_name("山西  大学 ") == "山西 大学"


def test_a_new_base_is_declared():
    assert new_base().status == "declared"


def test_a_certified_base_with_both_approvals_files_its_plan():
    base = approved(certified(new_base()))
    assert base.file_plan(actor=APPLICANT, ctx=APPLICANT.context()) == 1
    assert base.filed_version == 1


def test_filing_needs_both_approvals():
    base = certified(new_base())
    base.draft_plan(tasks=TASKS, targets=TARGETS, actor=APPLICANT, ctx=APPLICANT.context())
    base.approve_plan(version=1, actor=COUNTY, approved_at=NOW, ctx=COUNTY.context())
    with pytest.raises(RuleViolation, match="competent_department"):
        base.file_plan(actor=APPLICANT, ctx=APPLICANT.context())


def test_filing_needs_a_certified_base():
    base = approved(new_base())
    with pytest.raises(RuleViolation, match="certified"):
        base.file_plan(actor=APPLICANT, ctx=APPLICANT.context())


def test_a_revision_drops_the_approvals_of_the_previous_version():
    base = approved(certified(new_base()))
    base.draft_plan(tasks=TASKS, targets=TARGETS, actor=APPLICANT, ctx=APPLICANT.context())
    assert base.plan["version"] == 2 and base.plan["approvals"] == {}
    with pytest.raises(Conflict):
        base.approve_plan(version=1, actor=COUNTY, approved_at=NOW, ctx=COUNTY.context())


def test_the_same_capacity_cannot_approve_twice():
    base = approved(certified(new_base()))
    with pytest.raises(Conflict):
        base.approve_plan(version=1, actor=COUNTY, approved_at=NOW, ctx=COUNTY.context())


def test_only_the_bases_own_county_and_department_approve():
    base = certified(new_base())
    base.draft_plan(tasks=TASKS, targets=TARGETS, actor=APPLICANT, ctx=APPLICANT.context())
    elsewhere = Actor(id=uuid4(), role="county_government", region=("太原市", "小店区"))
    other_department = Actor(id=uuid4(), role="competent_department", org="山西省科学技术厅")
    for actor in (elsewhere, other_department, Actor(id=uuid4(), role="drc")):
        with pytest.raises(Forbidden):
            base.approve_plan(version=1, actor=actor, approved_at=NOW, ctx=actor.context())


def test_an_approver_out_of_scope_is_refused_before_learning_anything_of_the_plan():
    elsewhere = Actor(id=uuid4(), role="county_government", region=("太原市", "小店区"))
    other_department = Actor(id=uuid4(), role="competent_department", org="山西省科学技术厅")
    without_plan = certified(new_base())
    revised = approved(certified(new_base()))
    revised.draft_plan(tasks=TASKS, targets=TARGETS, actor=APPLICANT, ctx=APPLICANT.context())
    approved_twice = approved(certified(new_base()))
    for base, version in ((without_plan, 1), (revised, 1), (approved_twice, 1)):  # no plan, stale, done
        for actor in (elsewhere, other_department):
            with pytest.raises(Forbidden) as refused:
                base.approve_plan(version=version, actor=actor, approved_at=NOW, ctx=actor.context())
            assert "version" not in str(refused.value) and not refused.value.fields


def test_only_the_declaring_applicant_drafts_the_plan():
    base = certified(new_base())
    stranger = Actor(id=uuid4(), role="applicant")
    with pytest.raises(Forbidden):
        base.draft_plan(tasks=TASKS, targets=TARGETS, actor=stranger, ctx=stranger.context())
    delegated = Actor(id=uuid4(), role="applicant", base_ids=(base.id,))
    base.draft_plan(tasks=TASKS, targets=TARGETS, actor=delegated, ctx=delegated.context())


def test_a_revoked_base_has_no_plan():
    base = new_base()
    base.record_adjustment(from_status="declared", to_status="not_selected", reason="未入选",
                           basis="selection", decision={}, ctx=APPLICANT.context())
    with pytest.raises(RuleViolation):
        base.draft_plan(tasks=TASKS, targets=TARGETS, actor=APPLICANT, ctx=APPLICANT.context())


def test_status_follows_the_recorded_adjustments():
    base = certified(new_base())
    base.record_adjustment(from_status="certified", to_status="warned", reason="评估不合格",
                           basis="evaluation", decision={"grade": "unqualified"},
                           ctx=APPLICANT.context())
    assert base.status == "warned"
    assert [a["to"] for a in base.adjustments] == ["certified", "warned"]


def test_a_batch_accepts_declarations_only_inside_its_open_window():
    batch_id = uuid4()
    batch = DeclarationBatch(batch_id=batch_id, name="2017年第一批",
                             opens_at=datetime(2017, 3, 1, tzinfo=timezone.utc),
                             closes_at=datetime(2017, 6, 30, tzinfo=timezone.utc), quota=12,
                             ctx=APPLICANT.context())
    assert batch.id == batch_id
    assert batch.accepts_declarations_at(datetime(2017, 4, 1, tzinfo=timezone.utc))
    assert not batch.accepts_declarations_at(datetime(2017, 7, 1, tzinfo=timezone.utc))
    batch.close(ctx=APPLICANT.context())
    assert not batch.accepts_declarations_at(datetime(2017, 4, 1, tzinfo=timezone.utc))
