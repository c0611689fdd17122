"""City governments' recommendation (设区市推荐, issue 26 §5): a city recommends its own
declarations, all of them decided, once, before the DRC selects; a declaration its
city did not recommend is not selected with the city's reason."""

from datetime import timedelta

import pytest

from services.backbone.kernel.context import Actor, stable_id
from services.backbone.kernel.errors import Conflict, Forbidden, RuleViolation
from tests.support.evaluation_world import RUBRICS, World


@pytest.fixture
def world():
    return World()


def city(name: str) -> Actor:
    return Actor(id=stable_id("actor", name), role="city_government", name=f"{name}人民政府",
                 region=(name,))


def batch_of_two_cities(world):
    batch_id = world.app.open_batch(name="2018年第二批", opens_at=world.now - timedelta(days=1),
                                    closes_at=world.now + timedelta(days=30), quota=2,
                                    rubrics=dict(RUBRICS), ctx=world.ctx(),
                                    city_recommendation=True).id
    bases = {"孝义市": world.declare(batch_id, name="孝义市", kind="regional", city="吕梁市", county="孝义市"),
             "交城县": world.declare(batch_id, name="交城县", kind="regional", city="吕梁市", county="交城县"),
             "山西大学": world.declare(batch_id, name="山西大学")}
    for name, mark in (("孝义市", 80), ("交城县", 90), ("山西大学", 85)):
        world.scored(bases[name], "regional" if name != "山西大学" else "university", [mark],
                     batch_id=batch_id)
    world.app.close_batch(batch_id, ctx=world.ctx())
    return batch_id, bases


def recommend(world, batch_id, actor, recommended, not_recommended=()):
    return world.app.recommend(batch_id, recommended=list(recommended),
                               not_recommended=[{"base_id": b, "reason": "场地条件不足"} for b in not_recommended],
                               actor=actor, ctx=actor.context())


def test_selection_waits_for_every_city_with_declarations(world):
    batch_id, bases = batch_of_two_cities(world)
    recommend(world, batch_id, city("吕梁市"), [bases["孝义市"]], [bases["交城县"]])
    with pytest.raises(Conflict) as waiting:
        world.app.certify(batch_id, base_ids=None, ctx=world.ctx())
    assert waiting.value.fields["cities"] == ["太原市"]


def test_a_declaration_its_city_did_not_recommend_is_not_selected_with_the_citys_reason(world):
    batch_id, bases = batch_of_two_cities(world)
    recommend(world, batch_id, city("吕梁市"), [bases["孝义市"]], [bases["交城县"]])
    recommend(world, batch_id, city("太原市"), [bases["山西大学"]])
    decisions = {d["base_id"]: d for d in world.app.certify(batch_id, base_ids=None, ctx=world.ctx())}
    # 交城县 scored highest, but 吕梁市 did not recommend it
    assert decisions[bases["交城县"]]["to_status"] == "not_selected"
    assert "未获吕梁市人民政府推荐（场地条件不足）" in decisions[bases["交城县"]]["reason"]
    assert {decisions[bases[n]]["to_status"] for n in ("孝义市", "山西大学")} == {"certified"}


def test_a_city_recommends_only_its_own_declarations_and_decides_on_each(world):
    batch_id, bases = batch_of_two_cities(world)
    with pytest.raises(RuleViolation) as strangers:
        recommend(world, batch_id, city("太原市"), [bases["山西大学"], bases["孝义市"]])
    assert list(strangers.value.fields) == ["recommended"]
    with pytest.raises(RuleViolation) as undecided:
        recommend(world, batch_id, city("吕梁市"), [bases["孝义市"]])
    assert list(undecided.value.fields) == ["not_recommended"]


def test_a_city_recommends_once_and_a_county_government_does_not(world):
    batch_id, bases = batch_of_two_cities(world)
    recommend(world, batch_id, city("太原市"), [bases["山西大学"]])
    with pytest.raises(Conflict):
        recommend(world, batch_id, city("太原市"), [bases["山西大学"]])
    county = Actor(id=stable_id("actor", "孝义"), role="county_government", region=("吕梁市", "孝义市"))
    with pytest.raises(Forbidden):
        recommend(world, batch_id, county, [bases["孝义市"]])


def test_a_batch_opened_without_recommendation_takes_none(world):
    batch_id = world.open_batch()
    base_id = world.declare(batch_id)
    with pytest.raises(RuleViolation):
        recommend(world, batch_id, city("太原市"), [base_id])


def test_a_city_governments_token_names_its_city_alone():
    from uuid import uuid4

    from services.backbone.kernel.errors import Unauthenticated
    from services.backbone.web.tokens import actor_of

    claims = {"sub": str(uuid4()), "jti": str(uuid4()), "role": "city_government",
              "name": "吕梁市人民政府", "region": ["吕梁市"], "exp": 2_000_000_000, "iat": 1_900_000_000}
    assert actor_of(claims).city == "吕梁市"
    with pytest.raises(Unauthenticated, match="region"):
        actor_of({**claims, "region": ["吕梁市", "孝义市"]})
    assert actor_of({**claims, "role": "county_government", "region": ["吕梁市", "孝义市"]}).city is None
