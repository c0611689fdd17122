"""Selection and certification (评选认定): scores averaged and rounded once, a ranking
reproducible from the log, the quota, conflicts of interest, and who may score what."""

from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from marshmallow import ValidationError

from services.backbone.kernel.context import Actor
from services.backbone.kernel.errors import Conflict, Forbidden, RuleViolation
from services.evaluation.application import EvaluationApplication
from services.evaluation.ranking import Entry, mean_score
from services.evaluation.views import Scoreboard
from tests.support.evaluation_world import RUBRICS, World, sheet


@pytest.fixture
def world():
    return World()


def test_the_mean_is_rounded_once_to_cents_half_up():
    assert mean_score([Decimal("85.125")]) == Decimal("85.13")
    assert mean_score([Decimal("80"), Decimal("85"), Decimal("85")]) == Decimal("83.33")
    assert mean_score([Decimal("80.005"), Decimal("80.00")]) == Decimal("80.00")  # 80.0025
    assert mean_score([]) is None


def test_a_base_counts_as_scored_only_when_every_assigned_evaluator_has_scored():
    first, second = uuid4(), uuid4()
    entry = Entry(uuid4(), "山西大学", "university", 1, evaluators=[first, second],
                  weighted={first: Decimal("90")})
    assert not entry.complete and entry.score is None
    entry.weighted[second] = Decimal("81")
    assert entry.score == Decimal("85.50")


def test_the_selection_score_is_the_weighted_score_averaged_over_evaluators(world):
    batch_id = world.open_batch()
    base_id = world.declare(batch_id)
    world.scored(base_id, "university", [Decimal("88.5"), 90, Decimal("79.25")], batch_id=batch_id)
    row = world.app.ranking(batch_id)["ranking"][0]
    assert row["score"] == Decimal("85.92")  # 257.75 / 3 = 85.9166…
    assert (row["evaluators"], row["scored_by"], row["rank"]) == (3, 3, 1)


def test_ties_are_broken_by_declaration_order_and_the_ranking_is_rebuilt_identically(world):
    batch_id = world.open_batch()
    first = world.declare(batch_id, name="太原理工大学")
    second = world.declare(batch_id, name="山西大学")
    best = world.declare(batch_id, name="孝义市", kind="regional", city="吕梁市", county="孝义市")
    unscored = world.declare(batch_id, name="高平市", kind="regional", city="晋城市", county="高平市")
    world.scored(second, "university", [80], batch_id=batch_id)
    world.scored(first, "university", [80], batch_id=batch_id)
    world.scored(best, "regional", [91], batch_id=batch_id)

    ranking = world.app.ranking(batch_id)["ranking"]
    assert [r["base_id"] for r in ranking] == [best, first, second, unscored]
    assert [r["rank"] for r in ranking] == [1, 2, 3, None]
    assert [r["tied"] for r in ranking] == [False, True, True, False]

    world.app.views.rebuild()
    assert world.app.ranking(batch_id)["ranking"] == ranking
    fresh = Scoreboard()
    for _, event in world.app.all_events():
        fresh.apply(event)
    assert [r["base_id"] for r in fresh.ranking(batch_id)] == [best, first, second, unscored]


def test_the_read_models_have_a_digest_and_a_rebuild_has_the_same_one(world):
    """``sc rebuild evaluation --compare`` compares these digests; the scoreboard holds
    its entries as dataclasses, which must hash as plain data."""
    batch_id = world.open_batch()
    world.scored(world.declare(batch_id), "university", [Decimal("88.5"), 90], batch_id=batch_id)
    live = world.app.views.digest()
    world.app.views.rebuild()
    assert world.app.views.digest() == live
    assert set(live["views"]) == {"Calendar", "Scoreboard", "Standings", "EvaluatorDirectory",
                                  "NoticeBoard", "DeadlineSchedule", "Recommendations", "OpinionBook",
                                  "NationalCalls", "AnnualTotals",
                                  "RevokedTokens"}


def certify(world, batch_id, base_ids=None):
    world.app.close_batch(batch_id, ctx=world.ctx())
    return world.app.certify(batch_id, base_ids=base_ids, ctx=world.ctx())


def test_the_top_of_the_ranking_is_certified_within_the_quota_and_the_rest_not_selected(world):
    batch_id = world.open_batch(quota=2)
    bases = [world.declare(batch_id, name=f"基地{i}") for i in range(4)]
    for base_id, mark in zip(bases, (70, 95, 88, 60)):
        world.scored(base_id, "university", [mark], batch_id=batch_id)

    decisions = {d["base_id"]: d for d in certify(world, batch_id)}
    assert {b: world.status(b) for b in bases} == {
        bases[0]: "not_selected", bases[1]: "certified", bases[2]: "certified",
        bases[3]: "not_selected"}
    certified = decisions[bases[1]]
    assert (certified["from_status"], certified["score"], certified["rubric_version"]) == (
        "declared", Decimal("95.00"), "university-2017.1")
    assert "列第 1 名" in certified["reason"] and "认定为省级双创示范基地" in certified["reason"]
    assert "未入选" in decisions[bases[3]]["reason"]
    assert world.app.repository.get(batch_id).certified == [bases[1], bases[2]]


def test_an_explicit_list_longer_than_the_quota_is_refused(world):
    batch_id = world.open_batch(quota=1)
    bases = [world.declare(batch_id, name=f"基地{i}") for i in range(2)]
    for base_id in bases:
        world.scored(base_id, "university", [80], batch_id=batch_id)
    with pytest.raises(RuleViolation) as caught:
        certify(world, batch_id, base_ids=bases)
    assert "exceed the batch's quota of 1" in caught.value.fields["base_ids"][0]
    assert all(world.status(b) == "declared" for b in bases)


def test_the_drc_may_certify_a_lower_ranked_base_by_naming_it_and_saying_why(world):
    batch_id = world.open_batch(quota=1)
    higher, lower = world.declare(batch_id, name="甲"), world.declare(batch_id, name="乙")
    world.scored(higher, "university", [90], batch_id=batch_id)
    world.scored(lower, "university", [80], batch_id=batch_id)
    with pytest.raises(RuleViolation) as caught:
        certify(world, batch_id, base_ids=[lower])
    assert list(caught.value.fields) == ["reason"] and "甲" in caught.value.fields["reason"][0]
    assert (world.status(lower), world.status(higher)) == ("declared", "declared")

    why = "甲已入选国家级示范基地培育名单，名额留给乙所在地区"
    decisions = {d["base_id"]: d for d in world.app.certify(batch_id, base_ids=[lower], reason=why,
                                                            ctx=world.ctx())}
    assert (world.status(lower), world.status(higher)) == ("certified", "not_selected")
    assert all(d["reason"].endswith(f"省发展改革委说明：{why}") for d in decisions.values())
    assert "评分高于认定名单中的基地" in decisions[higher]["reason"]
    assert world.app.repository.get(batch_id).certification_reason == why


def test_a_list_in_the_rankings_order_needs_no_reason(world):
    batch_id = world.open_batch(quota=3)
    bases = [world.declare(batch_id, name=name) for name in ("甲", "乙", "丙")]
    for base_id, mark in zip(bases, (90, 80, 70)):
        world.scored(base_id, "university", [mark], batch_id=batch_id)
    certify(world, batch_id, base_ids=[bases[1], bases[0]])  # the top two, in any order
    assert [world.status(b) for b in bases] == ["certified", "certified", "not_selected"]


def test_unscored_declarations_cannot_be_certified_and_are_not_selected(world):
    batch_id = world.open_batch(quota=3)
    scored, half_scored = world.declare(batch_id, name="甲"), world.declare(batch_id, name="乙")
    world.scored(scored, "university", [75], batch_id=batch_id)
    world.scored(half_scored, "university", [99], batch_id=batch_id)
    world.assign(half_scored, world.evaluator(name="未评分专家"), batch_id=batch_id)

    with pytest.raises(RuleViolation) as caught:
        certify(world, batch_id, base_ids=[half_scored])
    assert "cannot be certified: 乙" in caught.value.fields["base_ids"][0]
    decisions = {d["base_id"]: d for d in world.app.certify(batch_id, base_ids=[scored], ctx=world.ctx())}
    assert world.status(scored) == "certified"
    assert world.status(half_scored) == "not_selected"
    assert decisions[half_scored]["score"] is None and "未完成评分" in decisions[half_scored]["reason"]


def test_default_certification_waits_for_every_assigned_evaluator_to_score(world):
    batch_id = world.open_batch(quota=2)
    done, waiting = world.declare(batch_id, name="甲"), world.declare(batch_id, name="乙")
    never_assigned = world.declare(batch_id, name="丙")
    world.scored(done, "university", [75], batch_id=batch_id)
    world.scored(waiting, "university", [90], batch_id=batch_id)
    late_expert = world.evaluator(name="未交评分表的专家")
    world.assign(waiting, late_expert, batch_id=batch_id)
    world.app.close_batch(batch_id, ctx=world.ctx())
    with pytest.raises(Conflict) as caught:
        world.app.certify(batch_id, base_ids=None, ctx=world.ctx())
    assert caught.value.fields["bases"] == ["乙"]
    assert [world.status(b) for b in (done, waiting, never_assigned)] == ["declared"] * 3

    world.score(waiting, late_expert, sheet("university", 90), batch_id=batch_id)
    world.app.certify(batch_id, base_ids=None, ctx=world.ctx())
    assert [world.status(b) for b in (done, waiting, never_assigned)] == [
        "certified", "certified", "not_selected"]  # never assigned: unscored, not waited for


def test_a_tie_at_the_quota_line_needs_the_drc_to_name_the_list(world):
    batch_id = world.open_batch(quota=1)
    bases = [world.declare(batch_id, name=name) for name in ("甲", "乙")]
    for base_id in bases:
        world.scored(base_id, "university", [85], batch_id=batch_id)
    with pytest.raises(RuleViolation, match="share the score 85.00 at the quota line"):
        certify(world, batch_id)
    world.app.certify(batch_id, base_ids=[bases[1]], ctx=world.ctx())
    assert [world.status(b) for b in bases] == ["not_selected", "certified"]


def test_certification_needs_a_closed_batch_and_happens_once(world):
    batch_id = world.open_batch()
    world.scored(world.declare(batch_id), "university", [85], batch_id=batch_id)
    with pytest.raises(RuleViolation, match="Close batch"):
        world.app.certify(batch_id, base_ids=None, ctx=world.ctx())
    certify(world, batch_id)
    with pytest.raises(Conflict, match="already been certified"):
        world.app.certify(batch_id, base_ids=None, ctx=world.ctx())


def test_an_evaluator_from_the_bases_city_cannot_be_assigned_even_from_another_county(world):
    batch_id = world.open_batch()
    base_id = world.declare(batch_id, city="太原市", county="小店区")
    neighbour = world.evaluator(name="李专家", city="太原市")  # its county: 城区 of 太原市
    with pytest.raises(RuleViolation) as caught:
        world.assign(base_id, neighbour, batch_id=batch_id)
    assert "conflict of interest" in caught.value.fields["evaluator_id"][0]
    world.assign(base_id, world.evaluator(name="赵专家", city="运城市"), batch_id=batch_id)


def test_a_third_party_body_from_outside_the_province_is_registered_without_a_city_and_conflicts_with_none(world):
    from services.evaluation.schemas import EvaluatorRequest

    request = EvaluatorRequest().load({"name": "中国科学技术发展战略研究院", "organisation": "科技部",
                                       "region": None})
    assert request["region"] is None
    national = world.app.register_evaluator(**request, ctx=world.ctx())
    batch_id = world.open_batch()
    for city in ("太原市", "大同市"):
        base_id = world.declare(batch_id, name=f"{city}基地", city=city, county="城区")
        world.assign(base_id, Actor(id=national.id, role="evaluator", name=national.name), batch_id=batch_id)
    with pytest.raises(ValidationError):  # omitted is not "outside the province": it must be said
        EvaluatorRequest().load({"name": "某专家", "organisation": "某机构"})


def test_an_evaluator_scores_only_what_it_is_assigned_to(world):
    batch_id, mine, other, evaluator = world.assigned_pair()
    with pytest.raises(Forbidden):
        world.score(other, evaluator, sheet("university", 90), batch_id=batch_id)
    world.score(mine, evaluator, sheet("university", 90), batch_id=batch_id)
    with pytest.raises(Conflict):
        world.score(mine, evaluator, sheet("university", 91), batch_id=batch_id)


def test_an_evaluator_not_assigned_is_refused_whatever_the_state_of_the_occasion(world):
    batch_id, mine, other, evaluator = world.assigned_pair()
    world.score(mine, evaluator, sheet("university", 90), batch_id=batch_id)
    world.app.close_batch(batch_id, ctx=world.ctx())
    world.app.certify(batch_id, base_ids=[mine], ctx=world.ctx())  # concluded: scoring is over
    for occasion in ({"batch_id": batch_id}, {"batch_id": uuid4()}, {"round_id": uuid4()}):  # over, none, none
        with pytest.raises(Forbidden):
            world.score(other, evaluator, sheet("university", 90), **occasion)
    with pytest.raises(RuleViolation, match="concluded"):  # the assigned evaluator is told
        world.score(mine, evaluator, sheet("university", 90), batch_id=batch_id)


def test_a_sheet_not_fitting_the_bases_rubric_is_refused(world):
    batch_id = world.open_batch()
    base_id = world.declare(batch_id, name="孝义市", kind="regional", city="吕梁市", county="孝义市")
    evaluator = world.evaluator()
    world.assign(base_id, evaluator, batch_id=batch_id)
    with pytest.raises(RuleViolation) as caught:
        world.score(base_id, evaluator, sheet("university", 90), batch_id=batch_id)
    assert "culture" in caught.value.fields["scores"]


def test_no_assignment_or_score_after_certification(world):
    batch_id, (base_id,) = world.certified(1)
    with pytest.raises(RuleViolation, match="concluded"):
        world.assign(base_id, world.evaluator(name="迟到专家"), batch_id=batch_id)


def test_a_declaration_arriving_after_certification_is_recorded_as_not_selected(world):
    batch_id, _ = world.certified(1)
    late = world.declare(batch_id, name="迟到的申报")
    assert world.status(late) == "not_selected"
    assert "评选认定已结束" in world.app.repository.get(late).decisions[0].reason


def test_a_declaration_made_after_the_batch_closed_is_not_selected_and_cannot_be_certified(world):
    batch_id = world.open_batch(quota=2)
    on_time = world.declare(batch_id, name="按时申报")
    world.scored(on_time, "university", [80], batch_id=batch_id)
    world.app.close_batch(batch_id, ctx=world.ctx())
    assert world.app.batch(batch_id)["closed_at"] == world.now
    world.now += timedelta(minutes=3)  # the registry had not learned of the closing yet
    late = world.declare(batch_id, name="截止后申报")
    assert world.status(late) == "not_selected"
    reason = world.app.repository.get(late).decisions[0].reason
    assert reason.startswith("申报时批次已截止") and "2017年6月1日 09:00" in reason
    with pytest.raises(RuleViolation) as caught:
        world.app.certify(batch_id, base_ids=[on_time, late], ctx=world.ctx())
    assert "not declarations awaiting selection" in caught.value.fields["base_ids"][0]
    decided = world.app.certify(batch_id, base_ids=None, ctx=world.ctx())
    assert [(d["base_id"], d["to_status"]) for d in decided] == [(on_time, "certified")]


def test_a_declaration_made_before_the_closing_joins_even_when_it_arrives_after(world):
    batch_id = world.open_batch()
    world.app.close_batch(batch_id, ctx=world.ctx())
    world.now -= timedelta(minutes=1)  # declared a minute before, delivered after
    base_id = world.declare(batch_id, name="截止前申报")
    assert world.status(base_id) == "declared"
    assert [row["base_id"] for row in world.app.ranking(batch_id)["ranking"]] == [base_id]


def rival_commits_first(app, monkeypatch, method: str, rival) -> None:
    """Makes ``rival()`` commit between this command's load and its save (``method``
    is how the command writes: ``save`` for commands, ``_record`` for reactions)."""
    write = getattr(app, method)

    def write_after_rival(*args, **kwargs):
        monkeypatch.setattr(app, method, write)
        rival()
        return write(*args, **kwargs)

    monkeypatch.setattr(app, method, write_after_rival)


def test_a_declaration_that_loses_the_race_with_certification_is_not_selected(world, monkeypatch):
    batch_id = world.open_batch()
    world.scored(world.declare(batch_id, name="甲"), "university", [80], batch_id=batch_id)
    world.app.close_batch(batch_id, ctx=world.ctx())
    world.now -= timedelta(minutes=1)  # made before the closing, delivered after it
    rival_commits_first(world.app, monkeypatch, "_record",
                        lambda: world.app.certify(batch_id, base_ids=None, ctx=world.ctx()))
    late = world.declare(batch_id, name="乙")
    assert world.status(late) == "not_selected"
    assert "评选认定已结束" in world.app.repository.get(late).decisions[0].reason
    assert len(world.app.repository.get(batch_id).certified) == 1


def test_a_certification_that_loses_the_race_with_a_declaration_decides_it_too(world, monkeypatch):
    batch_id = world.open_batch()
    first = world.declare(batch_id, name="甲")
    world.scored(first, "university", [80], batch_id=batch_id)
    world.app.close_batch(batch_id, ctx=world.ctx())
    world.now -= timedelta(minutes=1)
    declared = []
    rival_commits_first(world.app, monkeypatch, "save",
                        lambda: declared.append(world.declare(batch_id, name="乙")))
    decisions = world.app.certify(batch_id, base_ids=None, ctx=world.ctx())
    assert {d["base_id"]: d["to_status"] for d in decisions} == {
        first: "certified", declared[0]: "not_selected"}
    assert world.status(declared[0]) == "not_selected"  # not left declared for ever


def test_a_batch_with_many_declarations_loads_from_its_latest_snapshot(world):
    batch_id = world.open_batch()
    world.app.receive_run([world.declaration(batch_id, name=f"基地{i}") for i in range(60)])
    for i in range(60, 110):
        world.declare(batch_id, name=f"基地{i}")
    snapshots = [s.originator_version for s in world.app.snapshots.get(batch_id)]
    assert snapshots == [50, 100]  # one taken inside a run of events, one after a single one
    replayed = EvaluationApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    for event in world.app.events.get(batch_id):  # the same history, no snapshot taken
        replayed.events.put([event])
    loaded = world.app.repository.get(batch_id)
    assert vars(loaded) == vars(replayed.repository.get(batch_id))
    assert loaded.joined == 110


def test_the_same_batch_or_evaluator_twice_is_a_conflict(world):
    world.open_batch(name="2017年第一批")
    with pytest.raises(Conflict):
        world.open_batch(name=" 2017年第一批 ")
    world.evaluator(name="王专家")
    with pytest.raises(Conflict):
        world.evaluator(name="王专家")


def test_a_batch_window_must_be_ordered(world):
    with pytest.raises(RuleViolation) as caught:
        world.app.open_batch(name="倒置", opens_at=world.now, closes_at=world.now, quota=1,
                             rubrics=dict(RUBRICS), ctx=world.ctx())
    assert "closes_at" in caught.value.fields
