"""National recommendation (issue 27 §3): eligibility under a call's criteria, the cap
on 优秀 in a round, and the national dimension of a base surviving later rounds."""

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from services.backbone.kernel.errors import Conflict, RuleViolation
from services.evaluation.catalogue import default_catalogue
from services.evaluation.national import eligible_bases
from services.evaluation.policy import AdjustmentPolicy, Graded, cap_excellent
from services.evaluation.rubric import RubricError
from services.evaluation.views import Standings
from tests.support.evaluation_world import World

BEIJING = timezone(timedelta(hours=8))
SPRING_2018 = datetime(2018, 3, 1, 10, 0, tzinfo=timezone.utc)
MONDAY = datetime(2018, 11, 5, 9, 0, tzinfo=BEIJING)  # a notice of 5 working days ends Fri. 9th


@pytest.fixture
def world():
    world = World()
    world.now = SPRING_2018
    return world


def graded(score, grade="excellent"):
    return Graded(round_id=uuid4(), round_name="2018年第三方评估", score=Decimal(score),
                  grade=grade, rubric_version="university-2017.1")


# -- eligibility ----------------------------------------------------------------------------

def test_only_bases_graded_at_least_the_minimum_in_good_standing_and_not_national_are_eligible():
    a, b, c, d, e = (uuid4() for _ in range(5))
    grades = [{"base_id": a, "grade": "excellent", "score": Decimal("91")},
              {"base_id": b, "grade": "good", "score": Decimal("85")},
              {"base_id": c, "grade": "excellent", "score": Decimal("95")},
              {"base_id": d, "grade": "excellent", "score": Decimal("93")},
              {"base_id": e, "grade": "excellent", "score": Decimal("92")}]
    statuses = {a: "retained", b: "retained", c: "recommended_national", d: "warned", e: "retained"}
    national = {e: {"status": "selected"}, a: {"status": "not_selected"}}
    eligible = eligible_bases(grades, minimum_grade="excellent", statuses=statuses, national=national)
    assert [row["base_id"] for row in eligible] == [c, a]  # best first; a may try again
    looser = eligible_bases(grades, minimum_grade="good", statuses=statuses, national=national)
    assert [row["base_id"] for row in looser] == [c, a, b]


# -- the cap on 优秀 ----------------------------------------------------------------------------

def test_the_lowest_scored_excellent_bases_over_the_cap_are_graded_good_with_the_reason():
    results = {uuid4(): graded(s) for s in ("98", "95", "93", "91")}
    results.update({uuid4(): graded("80", "good") for _ in range(6)})  # 10 bases: 3 may be 优秀
    capped = cap_excellent(results, Decimal("0.30"))
    lowered = [r for b, r in capped.items() if r.grade != results[b].grade]
    assert [(r.score, r.grade) for r in lowered] == [(Decimal("91"), "good")]
    assert "超出优秀比例上限 30%" in lowered[0].note and "第 4 名" in lowered[0].note
    assert cap_excellent(results, None) == results  # versions without a cap decide as before


def test_a_policy_with_a_cap_is_a_new_version_and_the_old_ones_stay_valid():
    catalogue = default_catalogue()
    assert catalogue.policy("adjustment-2020.1").excellent_cap == Decimal("0.30")
    assert catalogue.policy("adjustment-2018.1").excellent_cap is None
    data = {"version": "x", "title": "x", "rectification_days": 90, "excellent_cap": 1.5,
            "outcomes": dict(excellent="retained", good="retained", qualified="retained",
                             unqualified="warned"),
            "rectification_accepted": "retained", "deadline_missed": "revoked"}
    with pytest.raises(RubricError, match="excellent_cap"):
        AdjustmentPolicy.from_data(data)


def test_a_round_under_the_capped_policy_grades_the_excess_good_and_says_why(world):
    _, bases = world.certified(4)
    round_id = world.round()
    for base_id, mark in zip(bases, (98, 96, 94, 70)):
        world.scored(base_id, "university", [mark], round_id=round_id)
    decisions = world.app.close_round(round_id, policy_version="adjustment-2020.1",
                                      reason="试行优秀比例上限", ctx=world.ctx())
    grades = {d["base_id"]: d["grade"] for d in decisions}
    assert [grades[b] for b in bases] == ["excellent", "good", "good", "qualified"]  # 30% of 4: 1
    assert "超出优秀比例上限" in {d["base_id"]: d for d in decisions}[bases[2]]["reason"]
    uncapped = {row["base_id"]: row["proposed"]["grade"]
                for row in world.app.what_if(round_id, "adjustment-2018.1")["decisions"]}
    assert uncapped[bases[2]] == "excellent"  # the rubric's grade, for a policy without a cap


def test_what_if_applies_each_policys_own_cap_to_a_closed_round(world):
    _, bases = world.certified(4)
    round_id = world.round()
    world.graded(round_id, dict(zip(bases, (98, 96, 94, 70))))  # under 2018.1: three 优秀
    capped = {row["base_id"]: row["proposed"] for row in
              world.app.what_if(round_id, "adjustment-2020.1")["decisions"]}
    assert [capped[b]["grade"] for b in bases] == ["excellent", "good", "good", "qualified"]
    same = world.app.what_if(round_id, "adjustment-2018.1")["decisions"]
    assert not any(row["changed"] for row in same)  # no cap in 2018.1: the grades as given


# -- the national process and its dimension -------------------------------------------------

def chosen_call(world, marks=(95, 92, 80)):
    _, bases = world.certified(len(marks))
    round_id = world.round()
    world.graded(round_id, dict(zip(bases, marks)))
    call = world.app.open_national_call(year=2018, quota=1, ctx=world.ctx())
    return call.id, bases


def test_a_call_chooses_only_among_the_eligible_within_its_quota(world):
    call_id, bases = chosen_call(world)
    assert [row["base_id"] for row in world.app.national_eligible(call_id)] == bases[:2]
    with pytest.raises(RuleViolation) as refused:
        world.app.choose_national_candidates(call_id, candidates=[{"base_id": bases[2], "reason": "x"}],
                                             ctx=world.ctx())
    assert "candidates" in refused.value.fields
    with pytest.raises(RuleViolation):
        world.app.choose_national_candidates(
            call_id, candidates=[{"base_id": b, "reason": "x"} for b in bases[:2]], ctx=world.ctx())
    with pytest.raises(Conflict):
        world.app.open_national_call(year=2018, quota=1, ctx=world.ctx())


def test_the_national_dimension_survives_a_later_round(world):
    call_id, bases = chosen_call(world)
    world.app.choose_national_candidates(call_id, candidates=[{"base_id": bases[0], "reason": "成果突出"}],
                                         ctx=world.ctx())
    world.now = MONDAY
    world.app.publish_national_notice(call_id, title="2018年拟推荐国家级双创示范基地公示",
                                      working_days=5, contact="省发展改革委", ctx=world.ctx())
    with pytest.raises(RuleViolation):
        world.app.submit_national(call_id, document_number="晋发改创新发〔2018〕88号",
                                  submitted_on=date(2018, 11, 5), ctx=world.ctx())
    world.now = datetime(2018, 11, 12, 9, 0, tzinfo=BEIJING)
    world.app.fire_due_deadlines()
    world.app.submit_national(call_id, document_number="晋发改创新发〔2018〕88号",
                              submitted_on=date(2018, 11, 12), ctx=world.ctx())
    world.app.record_national_outcome(call_id, base_id=bases[0], selected=True,
                                      document_number="发改高技〔2018〕1254号",
                                      effective_on=date(2018, 12, 1), reason="入选", ctx=world.ctx())
    status_before = world.status(bases[0])
    later = world.round(name="2019年上半年督促检查", kind="inspection", period="2018H2")
    world.now = datetime(2019, 7, 2, 9, 0, tzinfo=BEIJING)
    world.graded(later, dict(zip(bases, (85, 85, 85))))
    row = world.app.views[Standings].row(bases[0])
    assert (status_before, row["status"]) == ("recommended_national", "retained")  # provincial moved
    assert row["national"] == {"status": "selected", "call_id": call_id,
                               "document_number": "发改高技〔2018〕1254号",
                               "effective_on": date(2018, 12, 1)}



# -- the registry's record: the national standing beside the status of record --------------

def test_the_registry_keeps_the_national_standing_when_a_later_round_adjusts_the_base():
    from services.backbone.kernel.context import Actor
    from services.registry.application import RegistryApplication
    from services.registry.domain import DeclarationBatch
    from tests.support.fixtures import declaration
    from tests.support.funding import base_adjusted_payload, upstream_event

    drc = Actor(id=uuid4(), role="drc", name="省发展改革委")
    app = RegistryApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    now = datetime.now(timezone.utc)
    batch = DeclarationBatch(batch_id=uuid4(), name="2017年第一批", opens_at=now - timedelta(days=1),
                             closes_at=now + timedelta(days=30), quota=12, ctx=drc.context())
    app.save(batch)
    base = app.declare(**{**declaration(batch.id), "batch_id": batch.id}, actor=drc, ctx=drc.context())
    call_id, day = str(uuid4()), "2019-07-15"
    events = [
        ("BaseAdjusted", {**base_adjusted_payload(base.id, "declared", "certified"),
                          "effective_on": day, "entered_at": now.isoformat(),
                          "status_after": "certified"}),
        ("NationalRecommendationSubmitted", {"call_id": call_id, "year": 2019, "base_ids": [str(base.id)],
                                             "document_number": "晋发改创新发〔2019〕88号",
                                             "submitted_on": day, "submitted_at": now.isoformat()}),
        ("NationalOutcomeRecorded", {"call_id": call_id, "year": 2019, "base_id": str(base.id),
                                     "selected": True, "document_number": "发改高技〔2019〕1254号",
                                     "effective_on": day, "reason": "入选", "recorded_at": now.isoformat()}),
        ("BaseAdjusted", {**base_adjusted_payload(base.id, "certified", "retained", basis="evaluation"),
                          "effective_on": day, "entered_at": now.isoformat(),
                          "status_after": "retained"}),
    ]
    for position, (event_type, payload) in enumerate(events, start=1):
        assert app.receive(upstream_event("evaluation", event_type, payload, position))
    row = next(row for row in app.list_bases() if row["base_id"] == base.id)
    assert row["status"] == "retained"
    assert row["national"] == {"status": "selected", "call_id": UUID(call_id),
                               "document_number": "发改高技〔2019〕1254号", "effective_on": date(2019, 7, 15)}
    assert app.get_base(base.id).national["status"] == "selected"
