"""Decisions of record (issue 26 §2): a decision takes effect on its date, carries its
文号 and document once published, may be entered from a government document without
scores, and the status is derived in order of effective date."""

from datetime import date, datetime, timedelta, timezone

import pytest
from marshmallow import ValidationError

from services.backbone.kernel.errors import Conflict, RuleViolation
from services.contracts import load_event
from services.evaluation.record_schemas import CertificationOfRecordRequest, DecisionOfRecordRequest
from services.evaluation.records import Record
from tests.support.evaluation_world import DRC, World

BEIJING = timezone(timedelta(hours=8))
ENTERED = datetime(2026, 12, 8, 9, 30, tzinfo=BEIJING)
DOCUMENT = {"sha256": "ab" * 32, "name": "首批省级双创示范基地名单.pdf"}
FIRST_BATCH = Record(date(2017, 9, 7), "晋政办发〔2017〕105号", DOCUMENT)


def adjustment(day: date, number: str = "晋发改创新发〔2018〕12号") -> Record:
    return Record(day, number, {"sha256": "cd" * 32, "name": f"{number}.pdf"})


@pytest.fixture
def world():
    return World()


def first_batch(world, names=("山西大学", "太原理工大学", "未列名单位")):
    """A batch whose first two declarations a 2017-09-07 document certifies, entered
    in 2026."""
    batch_id = world.open_batch()
    bases = [world.declare(batch_id, name=name) for name in names]
    world.app.close_batch(batch_id, ctx=world.ctx())
    world.now = ENTERED
    decisions = world.app.certify_of_record(batch_id, base_ids=bases[:2], record=FIRST_BATCH,
                                            ctx=world.ctx())
    return batch_id, bases, decisions


def test_a_batch_certified_by_government_document_needs_no_scores_and_takes_effect_on_its_date(world):
    batch_id, bases, decisions = first_batch(world)
    by_base = {d["base_id"]: d for d in decisions}
    assert [by_base[b]["to_status"] for b in bases] == ["certified", "certified", "not_selected"]
    assert {d["effective_on"] for d in decisions} == {date(2017, 9, 7)}
    assert {d["entered_at"].date() for d in decisions} == {ENTERED.date()}
    assert all(d["document_number"] == "晋政办发〔2017〕105号" and d["document"] == DOCUMENT
               for d in decisions)
    assert "晋政办发〔2017〕105号" in by_base[bases[0]]["reason"]
    assert world.app.batch(batch_id)["certified"] == bases[:2]


def test_the_published_decision_carries_both_dates_and_its_document(world):
    head = world.app.head()
    first_batch(world)
    published, _ = world.app.published_after(head, 100)
    adjusted = [load_event(e.to_message()) for e in published if e.type == "BaseAdjusted"]
    assert len(adjusted) == 3 and {e.schema_version for e in adjusted} == {2}
    payload = adjusted[0].payload
    assert payload["effective_on"] == date(2017, 9, 7) and payload["basis"] == "record"
    assert payload["entered_at"] > datetime(2026, 1, 1, tzinfo=BEIJING)
    assert payload["document"] == DOCUMENT and payload["status_after"] == payload["to_status"]


def test_the_status_on_a_date_follows_effective_dates_not_entry_times(world):
    _, bases, _ = first_batch(world)
    before = {row["base_id"]: row["status"] for row in world.app.statuses_on(date(2017, 9, 6))}
    on = {row["base_id"]: row["status"] for row in world.app.statuses_on(date(2017, 9, 7))}
    # declared (or not yet entered: the declaration's entry is today's) the day before
    assert before.get(bases[0], "declared") == "declared" and on[bases[0]] == "certified"
    assert on[bases[2]] == "not_selected"


def test_a_warning_of_record_counts_its_deadline_from_its_effective_date(world):
    _, bases, _ = first_batch(world)
    warned = world.app.record_decision(bases[0], to_status="warned", reason="2018年度评估不合格",
                                       record=adjustment(date(2018, 12, 20)), ctx=world.ctx())
    # adjustment-2018.1: 180 days from the warning's day, not from the day it was typed in
    assert warned["rectification_deadline"] == datetime(2019, 6, 18, 23, 59, 59, tzinfo=BEIJING)
    assert world.status(bases[0]) == "warned"


def test_a_round_closed_with_an_effective_date_sets_deadlines_from_it(world):
    _, bases, _ = first_batch(world, names=("山西大学",))
    round_id = world.round()
    for base_id in bases:
        world.scored(base_id, "university", [50], round_id=round_id)
    (decision,) = world.app.close_round(round_id, policy_version="adjustment-2018.1",
                                        record=adjustment(date(2018, 6, 29)), ctx=world.ctx())
    assert decision["to_status"] == "warned" and decision["effective_on"] == date(2018, 6, 29)
    assert decision["rectification_deadline"].date() == date(2018, 12, 26)


def test_a_decision_dated_before_others_rederives_what_follows(world):
    _, bases, _ = first_batch(world)
    base_id = bases[0]
    world.app.record_decision(base_id, to_status="warned", reason="督促检查发现问题",
                              record=adjustment(date(2018, 12, 1)), ctx=world.ctx())
    revoked = world.app.record_decision(base_id, to_status="revoked", reason="弄虚作假",
                                        record=adjustment(date(2018, 6, 1), "晋发改创新发〔2018〕7号"),
                                        ctx=world.ctx())
    assert revoked["from_status"] == "certified"  # what the base was on 2018-06-01
    assert world.status(base_id) == "revoked"
    timeline = world.app.timeline(base_id, DRC)
    assert [(d["to_status"], d["in_effect"]) for d in timeline] == [
        ("certified", True), ("revoked", True), ("warned", False)]
    assert [d["effective_on"] for d in timeline] == sorted(d["effective_on"] for d in timeline)
    assert timeline[1]["entered_at"] > timeline[2]["entered_at"]  # entered last, placed before
    on = {r["base_id"]: r["status"] for r in world.app.statuses_on(date(2018, 7, 1))}
    assert on[base_id] == "revoked"


def test_a_retention_dated_before_a_warning_leaves_the_warning_in_effect(world):
    _, bases, _ = first_batch(world)
    world.app.record_decision(bases[0], to_status="warned", reason="督促检查发现问题",
                              record=adjustment(date(2018, 12, 1)), ctx=world.ctx())
    kept = world.app.record_decision(bases[0], to_status="retained", reason="评估合格",
                                     record=adjustment(date(2018, 6, 1), "晋发改创新发〔2018〕7号"),
                                     ctx=world.ctx())
    assert kept["from_status"] == "certified"
    assert world.status(bases[0]) == "warned"  # good standing to good standing: it still applies


def test_a_decision_that_does_not_follow_the_status_on_its_date_is_refused(world):
    _, bases, _ = first_batch(world)
    with pytest.raises(Conflict):  # not selected on 2017-09-07: nothing to revoke
        world.app.record_decision(bases[2], to_status="revoked", reason="撤销",
                                  record=adjustment(date(2018, 6, 1)), ctx=world.ctx())


def test_a_decision_is_recorded_once_it_has_taken_effect(world):
    _, bases, _ = first_batch(world)
    with pytest.raises(RuleViolation) as refused:
        world.app.record_decision(bases[0], to_status="retained", reason="保留",
                                  record=adjustment(date(2027, 1, 1)), ctx=world.ctx())
    assert list(refused.value.fields) == ["effective_on"]


@pytest.mark.parametrize("number", ["2017年105号", "晋政办发2017105号", "晋政办发〔17〕105号",
                                    "晋政办发〔2017〕号", "晋政办发〔2017〕105"])
def test_a_document_number_of_the_wrong_shape_is_refused(number):
    body = {"base_ids": ["3a6f6f0e-2b8e-5b43-9d0a-6c1f1d2e9b01"], "effective_on": "2017-09-07",
            "document_number": number, "document": DOCUMENT}
    with pytest.raises(ValidationError) as refused:
        CertificationOfRecordRequest().load(body)
    assert list(refused.value.messages) == ["document_number"]


def test_a_decision_of_record_is_entered_with_its_date_number_and_document():
    body = {"to_status": "revoked", "reason": "撤销", "effective_on": "2018-06-01",
            "document_number": "晋发改创新发〔2018〕7号", "document": DOCUMENT}
    assert DecisionOfRecordRequest().load(body)["document_number"] == "晋发改创新发〔2018〕7号"
    for field in ("effective_on", "document_number", "document"):
        with pytest.raises(ValidationError) as refused:
            DecisionOfRecordRequest().load({k: v for k, v in body.items() if k != field})
        assert field in refused.value.messages
    with pytest.raises(ValidationError) as refused:
        DecisionOfRecordRequest().load({**body, "document": {"sha256": "xyz", "name": "a.pdf"}})
    assert "document" in refused.value.messages


def test_a_certification_published_with_a_number_attaches_its_document():
    from services.evaluation.schemas import CertifyRequest

    assert CertifyRequest().load({})["document_number"] is None  # proposed: neither
    with pytest.raises(ValidationError) as refused:
        CertifyRequest().load({"document_number": "晋政办发〔2017〕105号"})
    assert list(refused.value.messages) == ["document"]


def test_a_version_1_decision_is_read_as_the_last_word_effective_when_published():
    from services.contracts import CATALOG
    from uuid import uuid4

    v1 = {"event_id": str(uuid4()), "type": "BaseAdjusted", "schema_version": 1,
          "source": "evaluation", "position": 7, "previous_position": 6,
          "occurred_at": "2018-06-29T17:00:00+08:00",
          "actor": {"id": str(uuid4()), "role": "drc", "name": "省发展改革委"},
          "correlation_id": str(uuid4()), "signature": None, "withheld": [],
          "payload": {**CATALOG["BaseAdjusted"].schemas[1]().dump(
              {k: v for k, v in CATALOG["BaseAdjusted"].example.items()
               if k in CATALOG["BaseAdjusted"].schemas[1]().fields}), "basis": "selection"}}
    event = load_event(v1)
    assert event.schema_version == 2
    assert event.payload["status_after"] == event.payload["to_status"]
    assert event.payload["effective_on"] is None and event.payload["document"] is None


def test_recomputing_under_another_policy_keeps_decisions_of_record(world):
    _, bases, _ = first_batch(world)
    world.app.record_decision(bases[0], to_status="warned", reason="督促检查发现问题",
                              record=adjustment(date(2018, 12, 1)), ctx=world.ctx())
    world.app.record_decision(bases[0], to_status="revoked", reason="弄虚作假",
                              record=adjustment(date(2018, 6, 1), "晋发改创新发〔2018〕7号"),
                              ctx=world.ctx())
    rows = {r["base_id"]: r for r in world.app.recompute("adjustment-2019.1")["bases"]}
    assert rows[bases[0]]["status_now"] == "revoked"
    assert rows[bases[1]]["status_under_policy"] == "certified"


def test_a_decision_taken_as_proposed_is_published_later_with_its_number_and_document(world):
    head = world.app.head()
    _, bases = world.certified(count=1)
    assert world.app.repository.get(bases[0]).decisions[0].document_number is None  # proposed
    published = world.app.publish_decision(bases[0], number=1, document_number="晋发改创新发〔2018〕12号",
                                           document=DOCUMENT, ctx=world.ctx())
    assert published["document_number"] == "晋发改创新发〔2018〕12号"
    (shown,) = world.app.timeline(bases[0], DRC)
    assert shown["document"] == DOCUMENT and shown["in_effect"]
    with pytest.raises(Conflict):  # once
        world.app.publish_decision(bases[0], number=1, document_number="晋发改创新发〔2018〕13号",
                                   document=DOCUMENT, ctx=world.ctx())
    with pytest.raises(RuleViolation):
        world.app.publish_decision(bases[0], number=2, document_number="晋发改创新发〔2018〕13号",
                                   document=DOCUMENT, ctx=world.ctx())
    events, _ = world.app.published_after(head, 100)
    (notice,) = [load_event(e.to_message()) for e in events if e.type == "DecisionPublished"]
    assert notice.payload["number"] == 1 and notice.payload["document"] == DOCUMENT
