"""Departments co-decide (issue 26 §5): the DRC asks named departments for their opinion
on a batch's ranking, the certification waits for them, and its decisions record them."""

import pytest

from services.backbone.kernel.context import Actor, stable_id
from services.backbone.kernel.errors import Conflict, Forbidden, RuleViolation
from tests.support.evaluation_world import World

EDUCATION, SCIENCE = "山西省教育厅", "山西省科学技术厅"


@pytest.fixture
def world():
    return World()


def department(name: str) -> Actor:
    return Actor(id=stable_id("actor", name), role="department", name=name, org=name)


def scored_batch(world):
    batch_id = world.open_batch(quota=1)
    bases = [world.declare(batch_id, name=name) for name in ("山西大学", "太原理工大学")]
    for base_id, mark in zip(bases, (90, 80)):
        world.scored(base_id, "university", [mark], batch_id=batch_id)
    world.app.close_batch(batch_id, ctx=world.ctx())
    world.app.ask_opinions(batch_id, departments=[EDUCATION, SCIENCE], ctx=world.ctx())
    return batch_id, bases


def give(world, batch_id, name, opinion="agree", comments=""):
    actor = department(name)
    return world.app.give_opinion(batch_id, opinion=opinion, comments=comments, actor=actor,
                                  ctx=actor.context())


def test_the_certification_waits_for_every_department_asked(world):
    batch_id, _ = scored_batch(world)
    give(world, batch_id, EDUCATION)
    with pytest.raises(Conflict) as waiting:
        world.app.certify(batch_id, base_ids=None, ctx=world.ctx())
    assert waiting.value.fields["departments"] == [SCIENCE]


def test_the_decisions_record_the_departments_opinions(world):
    batch_id, bases = scored_batch(world)
    give(world, batch_id, EDUCATION)
    give(world, batch_id, " 山西省科学技术厅", "agree_with_comments", "建议加强成果转化考核")  # compared by key
    decisions = world.app.certify(batch_id, base_ids=None, ctx=world.ctx())
    assert all("征求意见：山西省教育厅同意；山西省科学技术厅原则同意（附意见）（建议加强成果转化考核）"
               in d["reason"] for d in decisions)
    book = world.app.opinions(batch_id)
    assert [o["department"] for o in book["opinions"]] == [EDUCATION, SCIENCE]


def test_only_a_department_asked_gives_an_opinion_once_and_disagreement_says_why(world):
    batch_id, _ = scored_batch(world)
    with pytest.raises(Forbidden):
        give(world, batch_id, "山西省财政厅")
    with pytest.raises(RuleViolation) as silent:
        give(world, batch_id, EDUCATION, "disagree")
    assert list(silent.value.fields) == ["comments"]
    give(world, batch_id, EDUCATION)
    with pytest.raises(Conflict):
        give(world, batch_id, EDUCATION)


def test_a_batch_without_opinions_asked_is_certified_as_before(world):
    batch_id = world.open_batch(quota=1)
    base_id = world.declare(batch_id)
    world.scored(base_id, "university", [85], batch_id=batch_id)
    world.app.close_batch(batch_id, ctx=world.ctx())
    (decision,) = world.app.certify(batch_id, base_ids=None, ctx=world.ctx())
    assert "征求意见" not in decision["reason"]
