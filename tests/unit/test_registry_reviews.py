"""Returns for revision, documents of a base, and the wait of a revoked unit: the
registry's rules of review, without infrastructure."""

from datetime import datetime, timedelta, timezone
from uuid import uuid4

import pytest

from services.backbone.kernel.documents import Upload, document_record
from services.backbone.kernel.context import Actor
from services.backbone.kernel.errors import BadRequest, Conflict, Forbidden, RuleViolation
from services.registry.domain import EarlierDeclaration, check_not_declared_elsewhere
from services.registry.integration import publications
from services.registry.redeclaration import policy_in_force
from tests.unit.test_registry_domain import (APPLICANT, COUNTY, DEPARTMENT, NOW, TARGETS, TASKS,
                                             approved, certified, new_base)

DRC = Actor(id=uuid4(), role="drc", name="省发展改革委")
OTHER_COUNTY = Actor(id=uuid4(), role="county_government", name="小店区人民政府",
                     region=("太原市", "小店区"))


def drafted(base):
    base.draft_plan(tasks=TASKS, targets=TARGETS, actor=APPLICANT, ctx=APPLICANT.context())
    return base


def returned_by(base, actor, version=1, comments="目标偏低，请修改"):
    base.return_plan(version=version, comments=comments, actor=actor, returned_at=NOW,
                     ctx=actor.context())
    return base


def test_a_submitted_plan_is_published_for_its_approvers():
    base = drafted(certified(new_base()))
    published = [publications.translate(event) for event in base.collect_events()]
    submitted = [payload for kind, payload in filter(None, published) if kind == "PlanSubmitted"]
    assert submitted == [{"base_id": base.id, "plan_version": 1,
                          "awaiting": ["county_government", "competent_department"]}]


def test_a_returned_version_is_neither_approved_nor_filed_and_its_revision_starts_again():
    base = returned_by(drafted(certified(new_base())), COUNTY)
    with pytest.raises(RuleViolation, match="returned for revision"):
        base.approve_plan(version=1, actor=DEPARTMENT, approved_at=NOW, ctx=DEPARTMENT.context())
    with pytest.raises(RuleViolation, match="returned for revision"):
        base.file_plan(actor=APPLICANT, ctx=APPLICANT.context())
    approved(base)  # version 2, approved by both
    assert base.file_plan(actor=APPLICANT, ctx=APPLICANT.context()) == 2
    assert [plan["returned"] and plan["returned"]["comments"] for plan in base.plans] == ["目标偏低，请修改", None]


def test_only_the_plans_own_approvers_or_the_drc_return_it():
    base = drafted(certified(new_base()))
    for outsider in (OTHER_COUNTY, APPLICANT, Actor(id=uuid4(), role="evaluator")):
        with pytest.raises(Forbidden):
            returned_by(base, outsider)


def test_the_drc_returns_a_plan_at_filing_once_both_approved():
    base = drafted(certified(new_base()))
    with pytest.raises(RuleViolation, match="still waits for"):
        returned_by(base, DRC)
    base = approved(certified(new_base()))
    returned_by(base, DRC)
    assert base.plan["returned"]["role"] == "drc"


def test_an_approver_that_approved_does_not_return_the_same_version():
    base = drafted(certified(new_base()))
    base.approve_plan(version=1, actor=COUNTY, approved_at=NOW, ctx=COUNTY.context())
    with pytest.raises(Conflict, match="already approved"):
        returned_by(base, COUNTY)


def test_the_drc_returns_an_undecided_declaration_while_its_batch_is_open():
    base = new_base()
    with pytest.raises(Forbidden):
        base.return_declaration(comments="缺申报书", batch_open=True, actor=APPLICANT, ctx=APPLICANT.context())
    with pytest.raises(RuleViolation, match="no longer accepts"):
        base.return_declaration(comments="缺申报书", batch_open=False, actor=DRC, ctx=DRC.context())
    base.return_declaration(comments="缺申报书", batch_open=True, actor=DRC, ctx=DRC.context())
    with pytest.raises(Conflict):
        base.return_declaration(comments="再退", batch_open=True, actor=DRC, ctx=DRC.context())
    base.resubmit_declaration(note="已补充", batch_open=True, actor=APPLICANT, ctx=APPLICANT.context())
    assert base.declaration_returned is None
    assert base.declaration_returns[0]["resubmitted"]["note"] == "已补充"
    with pytest.raises(RuleViolation, match="decided"):
        certified(base).return_declaration(comments="x", batch_open=True, actor=DRC, ctx=DRC.context())


def upload(sha="a" * 64, kind="declaration_form") -> Upload:
    return Upload(name="申报书.pdf", media_type="application/pdf", size=10, sha256=sha, kind=kind, fields={})


def attach(base, actor, attached_to, sha="a" * 64):
    record = document_record(owner_id=base.id, attached_to=attached_to, upload=upload(sha),
                             attached_at=NOW, ctx=actor.context())
    return base.attach_document(attached_to=attached_to, document=record, actor=actor, ctx=actor.context())


def test_each_thing_gets_documents_from_whoever_answers_for_it():
    base = drafted(certified(new_base()))
    first = attach(base, APPLICANT, {"on": "declaration"})
    assert attach(base, APPLICANT, {"on": "declaration"}) == first  # a retry: the same record
    attach(base, DRC, {"on": "declaration"}, sha="b" * 64)
    attach(base, APPLICANT, {"on": "plan", "version": 1})
    with pytest.raises(Forbidden):
        attach(base, COUNTY, {"on": "declaration"})
    with pytest.raises(RuleViolation, match="no approval"):
        attach(base, COUNTY, {"on": "approval", "version": 1})
    base.approve_plan(version=1, actor=COUNTY, approved_at=NOW, ctx=COUNTY.context())
    letter = attach(base, COUNTY, {"on": "approval", "version": 1}, sha="c" * 64)
    assert letter["attached_by"]["role"] == "county_government"
    with pytest.raises(Forbidden):
        attach(base, OTHER_COUNTY, {"on": "approval", "version": 1})
    with pytest.raises(BadRequest):
        attach(base, APPLICANT, {"on": "plan"})
    assert len(base.documents) == 4


def test_documents_are_seen_by_who_works_with_or_reviews_the_base():
    base = new_base()
    seen = [role for role in ("drc", "department", "evaluator", "funding_office", "ops")
            if base.shows_documents_to(Actor(id=uuid4(), role=role))]
    assert seen == ["drc", "department", "evaluator"]
    assert base.shows_documents_to(COUNTY) and not base.shows_documents_to(OTHER_COUNTY)


def revoked(days_ago: int, moment: datetime) -> EarlierDeclaration:
    return EarlierDeclaration(uuid4(), "2017年第一批", "revoked", moment - timedelta(days=days_ago))


def test_a_revoked_unit_waits_the_period_of_the_policy_in_force_before_declaring_again():
    moment = datetime(2019, 3, 1, tzinfo=timezone.utc)
    wait = policy_in_force(moment).revoked_wait.days
    with pytest.raises(RuleViolation, match="may not declare again before") as refused:
        check_not_declared_elsewhere("孝义市", uuid4(), [revoked(wait - 1, moment)], moment=moment)
    assert "redeclaration-2018.1" in str(refused.value)
    check_not_declared_elsewhere("孝义市", uuid4(), [revoked(wait, moment)], moment=moment)
    before_any_policy = datetime(2017, 12, 1, tzinfo=timezone.utc)
    check_not_declared_elsewhere("孝义市", uuid4(), [revoked(1, before_any_policy)],
                                 moment=before_any_policy)


def test_the_directory_shows_what_waits_for_a_revision_or_a_completion():
    from services.registry.views import BaseDirectory

    base = returned_by(drafted(certified(new_base())), COUNTY)
    directory = BaseDirectory()
    for event in base.collect_events():
        directory.apply(event)
    assert directory.rows[base.id]["plan_returned"] is True
    declared = new_base()
    declared.return_declaration(comments="缺申报书", batch_open=True, actor=DRC, ctx=DRC.context())
    for event in declared.collect_events():
        directory.apply(event)
    assert directory.rows[declared.id]["declaration_returned"] is True
