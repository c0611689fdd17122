"""Conflicts of interest are more than a city: an evaluator of the base's own unit, its
competent department or its county government (names compared by key) is not assigned,
nor one that declared a conflict with the base or its unit; and an evaluator is one
person however its name is typed."""

from uuid import uuid4

import pytest

from services.backbone.kernel.context import Actor
from services.backbone.kernel.errors import Conflict, Forbidden, RuleViolation
from tests.support.evaluation_world import World, sheet


@pytest.fixture
def world():
    return World()


def refusal(world, base_id, evaluator, batch_id) -> str:
    with pytest.raises(RuleViolation) as caught:
        world.assign(base_id, evaluator, batch_id=batch_id)
    return caught.value.fields["evaluator_id"][0]


@pytest.mark.parametrize("organisation, says", [
    ("高平市发展和改革局", "the base's competent department"),
    ("高平市 发展和改革局", "the base's competent department"),
    ("高平市人民政府", "the government of 高平市"),
    ("晋城市高平市人民政府", "the government of 高平市"),
    ("高平市", "the base's own unit"),
])
def test_an_evaluator_of_the_bases_own_unit_department_or_government_is_not_assigned(organisation, says):
    world = World()
    batch_id = world.open_batch()
    event = world.declaration(batch_id, name="高平市", kind="regional", city="晋城市", county="高平市")
    event.payload["competent_department"] = "高平市发展和改革局"
    assert world.app.receive(event)
    base_id = event.payload["base_id"]
    expert = world.evaluator(name="张专家", city="太原市", organisation=organisation)  # another city
    message = refusal(world, base_id, expert, batch_id)
    assert says in message and "conflict of interest" in message
    world.assign(base_id, world.evaluator(name="赵专家", city="运城市", organisation="山西大学"),
                 batch_id=batch_id)


def test_a_declared_conflict_with_a_base_or_its_unit_is_refused_with_the_evaluators_reason(world):
    batch_id = world.open_batch()
    university = world.declare(batch_id, name="山西大学", city="太原市")
    other = world.declare(batch_id, name="太原理工大学", city="太原市")
    expert = world.evaluator(name="王专家", city="大同市")
    world.app.declare_conflict(expert.id, base_id=None, unit="山西 大学", reason="本人为该校兼职教授",
                               actor=expert, ctx=expert.context())
    assert "本人为该校兼职教授" in refusal(world, university, expert, batch_id)
    world.assign(other, expert, batch_id=batch_id)
    with pytest.raises(Conflict):
        world.app.declare_conflict(expert.id, base_id=None, unit="山西大学", reason="again",
                                   actor=expert, ctx=expert.context())
    with pytest.raises(Forbidden):
        stranger = Actor(id=uuid4(), role="evaluator", name="他人")
        world.app.declare_conflict(expert.id, base_id=other, unit=None, reason="x",
                                   actor=stranger, ctx=stranger.context())


def test_an_evaluator_assigned_before_declaring_a_conflict_does_not_score(world):
    batch_id = world.open_batch()
    base_id = world.declare(batch_id, name="山西大学", city="太原市")
    expert = world.evaluator(name="王专家", city="大同市")
    world.assign(base_id, expert, batch_id=batch_id)
    world.app.declare_conflict(expert.id, base_id=base_id, unit=None, reason="亲属在该校任职",
                               actor=expert, ctx=expert.context())
    with pytest.raises(Forbidden, match="亲属在该校任职"):
        world.score(base_id, expert, sheet("university", 90), batch_id=batch_id)


def test_a_second_registration_of_the_same_person_is_refused_however_typed(world):
    first = world.evaluator(name="Wang Li", organisation="ABC评估中心")
    for name, organisation in (("WANG LI", "ＡＢＣ评估中心"), ("Wang  Li", "abc 评估中心")):
        with pytest.raises(Conflict) as caught:
            world.evaluator(name=name, organisation=organisation)
        assert str(first.id) in caught.value.fields["name"][0]
    world.evaluator(name="Wang Li", organisation="另一评估中心")  # another body: another person


def test_batches_and_rounds_named_alike_are_one_name(world):
    """Uniqueness compares names by key; their ids are derived as before."""
    world.certified(1)  # opens 2017年第一批
    with pytest.raises(Conflict):
        world.open_batch(name="２０１７年第一批")
    world.now = world.now.replace(year=2018, month=3)
    world.round(name="2018年上半年ABC评估")
    with pytest.raises(Conflict):
        world.round(name="2018年上半年 abc 评估")
