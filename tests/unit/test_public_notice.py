"""Public notice (公示, issue 26 §3): a proposed list announced for working days,
objections answered, and the deadline clock concluding it once, durably."""

from datetime import date, datetime, timedelta, timezone

import pytest

from services.backbone.eventstore.deadlines import Deadline
from services.backbone.kernel.errors import Conflict, RuleViolation
from services.evaluation.notices import Notice
from tests.support.evaluation_world import World

BEIJING = timezone(timedelta(hours=8))
MONDAY = datetime(2018, 11, 5, 9, 0, tzinfo=BEIJING)  # a notice of 5 working days ends Fri. 9th
OBJECTOR = {"name": "李某", "contact": "139-0000-0000"}


@pytest.fixture
def world():
    return World()


def scored_batch(world, marks=(90, 85, 80)):
    """A closed batch of scored declarations, ranked in the order of ``marks``."""
    batch_id = world.open_batch(quota=2)
    bases = [world.declare(batch_id, name=f"基地{i}") for i in range(len(marks))]
    for base_id, mark in zip(bases, marks):
        world.scored(base_id, "university", [mark], batch_id=batch_id)
    world.app.close_batch(batch_id, ctx=world.ctx())
    return batch_id, bases


def published(world, batch_id, base_ids):
    world.now = MONDAY
    return world.app.publish_notice(
        title="2018年第二批省级双创示范基地拟认定名单公示", purpose="certification",
        batch_id=batch_id, base_ids=base_ids, working_days=5, contact="省发展改革委 0351-3046000",
        ctx=world.ctx())


def lodge(world, notice, base_id, text="申报数据不实"):
    from services.backbone.kernel.context import Actor, stable_id
    public = Actor(id=stable_id("actor", "public"), role="public", name="公众")
    return world.app.lodge_objection(notice.id, base_id=base_id, objector=OBJECTOR, text=text,
                                     documents=[], ctx=public.context())


def test_the_period_is_counted_in_working_days_and_its_end_is_a_deadline_in_the_log(world):
    batch_id, bases = scored_batch(world)
    notice = published(world, batch_id, bases[:2])
    assert notice.ends_at == datetime(2018, 11, 9, 23, 59, 59, tzinfo=BEIJING)
    (pending,) = world.app.pending_deadlines()
    assert pending["due_at"] == notice.ends_at and pending["action"] == "conclude_notice"
    assert isinstance(world.app.repository.get(pending["deadline_id"]), Deadline)


def test_a_notice_reaching_a_year_without_calendar_data_is_refused(world):
    batch_id, bases = scored_batch(world)
    world.now = datetime(2026, 12, 28, 9, 0, tzinfo=BEIJING)
    with pytest.raises(RuleViolation) as refused:
        world.app.publish_notice(title="跨年公示", purpose="certification", batch_id=batch_id,
                                 base_ids=bases[:2], working_days=7, contact="省发展改革委",
                                 ctx=world.ctx())
    assert "2027" in refused.value.fields["working_days"][0]


def test_nothing_is_decided_before_the_period_ends(world):
    batch_id, bases = scored_batch(world)
    published(world, batch_id, bases[:2])
    world.now = datetime(2018, 11, 9, 23, 0, tzinfo=BEIJING)
    assert world.app.fire_due_deadlines() == []
    assert {world.status(b) for b in bases} == {"declared"}


def test_at_the_end_of_the_period_the_clock_concludes_the_notice_once(world):
    batch_id, bases = scored_batch(world)
    notice = published(world, batch_id, bases[:2])
    world.now = datetime(2018, 11, 10, 0, 0, 1, tzinfo=BEIJING)
    assert world.app.fire_due_deadlines() == [f"notice:{notice.id}"]
    assert world.app.fire_due_deadlines() == []  # fired once
    assert [world.status(b) for b in bases] == ["certified", "certified", "not_selected"]
    decision = world.app.repository.get(bases[0]).decisions[-1]
    assert decision.basis == "notice" and decision.effective_on == date(2018, 11, 10)
    assert world.app.pending_deadlines() == []


def test_an_upheld_objection_withdraws_its_base_and_a_dismissed_one_does_not(world):
    batch_id, bases = scored_batch(world)
    notice = published(world, batch_id, bases[:2])
    world.now = MONDAY + timedelta(days=1)
    upheld, dismissed = lodge(world, notice, bases[0]), lodge(world, notice, bases[1])
    world.app.answer_objection(notice.id, dismissed, upheld=False, reasons="经核查数据属实", ctx=world.ctx())
    world.now = datetime(2018, 11, 10, 8, 0, tzinfo=BEIJING)
    assert world.app.fire_due_deadlines() == [f"notice:{notice.id}"]  # fired; an objection still open
    assert world.app.repository.get(notice.id).concluded_at is None
    world.app.answer_objection(notice.id, upheld, upheld=True, reasons="孵化企业数与登记不符",
                               ctx=world.ctx())  # the last answer concludes it
    assert [world.status(b) for b in bases] == ["not_selected", "certified", "not_selected"]
    reason = world.app.repository.get(bases[1]).decisions[-1].reason
    assert "公示" in reason


def test_objections_are_received_only_within_the_period(world):
    batch_id, bases = scored_batch(world)
    notice = published(world, batch_id, bases[:2])
    world.now = datetime(2018, 11, 10, 0, 0, 1, tzinfo=BEIJING)
    with pytest.raises(RuleViolation):
        lodge(world, notice, bases[0])


def test_an_objection_names_a_base_on_the_list(world):
    batch_id, bases = scored_batch(world)
    notice = published(world, batch_id, bases[:2])
    with pytest.raises(RuleViolation) as refused:
        lodge(world, notice, bases[2])
    assert list(refused.value.fields) == ["base_id"]


def test_the_public_page_shows_the_list_and_period_but_no_objector(world):
    batch_id, bases = scored_batch(world)
    notice = published(world, batch_id, bases[:2])
    lodge(world, notice, bases[0])
    (shown,) = world.app.current_notices()
    assert shown["objections_received"] == 1 and len(shown["entries"]) == 2
    assert OBJECTOR["name"] not in repr(shown) and OBJECTOR["contact"] not in repr(shown)
    (objection,) = world.app.notice(notice.id)["objections"]
    assert objection["objector"] == OBJECTOR  # the DRC sees who objected


def test_each_step_is_published_without_the_objectors_personal_data(world):
    head = world.app.head()
    batch_id, bases = scored_batch(world)
    notice = published(world, batch_id, bases[:2])
    objection = lodge(world, notice, bases[0])
    world.app.answer_objection(notice.id, objection, upheld=False, reasons="不成立", ctx=world.ctx())
    world.now = datetime(2018, 11, 12, 9, 0, tzinfo=BEIJING)
    world.app.fire_due_deadlines()
    events, _ = world.app.published_after(head, 1000)
    types = [e.type for e in events]
    for step in ("NoticePublished", "ObjectionLodged", "ObjectionAnswered", "NoticeConcluded"):
        assert step in types
    lodged = next(e for e in events if e.type == "ObjectionLodged")
    assert lodged.actor.role == "public"
    assert OBJECTOR["contact"] not in repr(lodged.to_message())


def test_a_revocation_notice_revokes_the_bases_left_on_it(world):
    _, bases = world.certified(count=2)
    world.now = MONDAY
    notice = world.app.publish_notice(title="拟撤销名单公示", purpose="revocation", base_ids=bases,
                                      working_days=5, contact="省发展改革委", ctx=world.ctx())
    objection = lodge(world, notice, bases[1])
    world.app.answer_objection(notice.id, objection, upheld=True, reasons="整改已完成", ctx=world.ctx())
    world.now = datetime(2018, 11, 12, 9, 0, tzinfo=BEIJING)
    world.app.fire_due_deadlines()
    assert [world.status(b) for b in bases] == ["revoked", "certified"]


def test_a_deadline_survives_a_restart_of_the_application(world):
    """The schedule is folded from the log: a new application over the same store
    still knows the deadline and fires it."""
    batch_id, bases = scored_batch(world)
    notice = published(world, batch_id, bases[:2])
    world.app.views.rebuild()  # as a restart folds the log again
    world.now = datetime(2018, 11, 12, 9, 0, tzinfo=BEIJING)
    assert world.app.fire_due_deadlines() == [f"notice:{notice.id}"]
    assert isinstance(world.app.repository.get(notice.id), Notice)


def test_a_batch_under_notice_is_certified_by_its_conclusion_not_directly(world):
    batch_id, bases = scored_batch(world)
    published(world, batch_id, bases[:2])
    with pytest.raises(Conflict):
        world.app.certify(batch_id, base_ids=None, ctx=world.ctx())
