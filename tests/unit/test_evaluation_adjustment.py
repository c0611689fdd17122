"""Dynamic adjustment (动态调整): every edge of the 2018 policy, rectification and its
deadline, status as a pure function of decisions, and what-if that writes nothing."""

from datetime import datetime, timedelta, timezone

import pytest

from services.backbone.kernel.errors import Conflict, RuleViolation
from services.contracts import load_event
from services.evaluation.catalogue import default_catalogue
from services.evaluation.policy import (AdjustmentPolicy, Decision, InconsistentHistory,
                                        derive_status)
from tests.support.evaluation_world import DRC, World

SPRING_2018 = datetime(2018, 3, 1, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def world():
    world = World()
    world.now = SPRING_2018
    return world


def evaluated(world, marks: list, name="2018年上半年第三方评估"):
    """Certifies one base per mark, then grades each with its mark in one round."""
    _, bases = world.certified(len(marks))
    round_id = world.round(name=name)
    decisions = world.graded(round_id, dict(zip(bases, marks)))
    return round_id, bases, {d["base_id"]: d for d in decisions}


@pytest.mark.parametrize("mark, grade, status", [
    (95, "excellent", "recommended_national"),
    (85, "good", "retained"),
    (65, "qualified", "retained"),
    (59, "unqualified", "warned"),
])
def test_a_grade_in_a_round_leads_to_the_policys_decision(world, mark, grade, status):
    round_id, (base_id,), decisions = evaluated(world, [mark])
    decision = decisions[base_id]
    assert (decision["from_status"], decision["to_status"], decision["grade"]) == ("certified", status, grade)
    assert (decision["round_id"], decision["policy_version"], decision["basis"]) == (
        round_id, "adjustment-2018.1", "evaluation")
    assert decision["rubric_version"] == "university-2017.1"
    assert world.status(base_id) == status


def test_an_unqualified_base_is_warned_with_a_deadline_180_days_later_in_beijing_time(world):
    _, (base_id,), decisions = evaluated(world, [40])
    deadline = decisions[base_id]["rectification_deadline"]
    assert deadline.isoformat() == "2018-08-28T23:59:59+08:00"
    assert "整改期限至2018年8月28日" in decisions[base_id]["reason"]
    assert world.app.repository.get(base_id).rectification_deadline == deadline


def test_a_warned_base_graded_unqualified_again_is_revoked(world):
    _, (base_id,), _ = evaluated(world, [40])
    second = world.round(name="2018年下半年督促检查", kind="inspection", period="2018H1")
    decision = world.graded(second, {base_id: 50})[0]
    assert (decision["from_status"], decision["to_status"]) == ("warned", "revoked")
    assert "警示整改期间" in decision["reason"]


def test_a_base_warned_meanwhile_is_not_revoked_by_a_round_opened_before_its_warning(world):
    _, (base_id,) = world.certified(1)
    first = world.round(name="2018年上半年第三方评估")
    second = world.round(name="2018年上半年督促检查", kind="inspection")  # open at the same time
    warned = world.graded(first, {base_id: 50})[0]
    world.now += timedelta(minutes=5)
    again = world.graded(second, {base_id: 55})[0]
    assert (again["from_status"], again["to_status"]) == ("warned", "warned")
    assert again["rectification_deadline"] == warned["rectification_deadline"]  # no more time
    assert "本轮开始时该基地尚未被警示" in again["reason"] and "整改期限仍至" in again["reason"]
    assert world.status(base_id) == "warned"
    assert world.app.what_if(second, "adjustment-2018.1")["decisions"][0]["changed"] is False
    assert world.app.recompute("adjustment-2018.1")["changed"] == []


def test_a_base_warned_meanwhile_is_graded_by_an_earlier_round_as_one_in_good_standing(world):
    _, (base_id,) = world.certified(1)
    first = world.round(name="2018年上半年第三方评估")
    second = world.round(name="2018年上半年督促检查", kind="inspection")
    world.graded(first, {base_id: 50})
    assert world.graded(second, {base_id: 70})[0]["to_status"] == "retained"


def test_a_base_warned_when_the_round_opened_and_graded_excellent_is_recommended(world):
    _, (base_id,), _ = evaluated(world, [40])
    second = world.round(name="2018年上半年督促检查", kind="inspection")
    decision = world.graded(second, {base_id: 93})[0]
    assert (decision["from_status"], decision["to_status"]) == ("warned", "recommended_national")
    assert decision["rectification_deadline"] is None and "警示整改期间" in decision["reason"]


def test_a_base_warned_when_the_round_opened_and_graded_qualified_is_retained(world):
    _, (base_id,), _ = evaluated(world, [40])
    second = world.round(name="2018年上半年督促检查", kind="inspection")
    assert world.graded(second, {base_id: 62})[0]["to_status"] == "retained"
    assert world.app.repository.get(base_id).rectification_deadline is None


@pytest.mark.parametrize("first_mark, status", [(75, "retained"), (95, "recommended_national")])
def test_a_base_in_good_standing_graded_unqualified_is_warned(world, first_mark, status):
    _, (base_id,), _ = evaluated(world, [first_mark])
    assert world.status(base_id) == status
    second = world.round(name="2018年上半年督促检查", kind="inspection")
    world.now += timedelta(days=10)
    decision = world.graded(second, {base_id: 45})[0]
    assert (decision["from_status"], decision["to_status"]) == (status, "warned")
    assert decision["rectification_deadline"].isoformat() == "2018-09-07T23:59:59+08:00"


def test_a_warned_base_graded_good_is_retained(world):
    _, (base_id,), _ = evaluated(world, [40])
    second = world.round(name="2018年下半年督促检查", kind="inspection")
    assert world.graded(second, {base_id: 82})[0]["to_status"] == "retained"
    assert world.app.repository.get(base_id).rectification_deadline is None


def test_a_recommended_base_graded_qualified_is_retained(world):
    _, (base_id,), _ = evaluated(world, [92])
    second = world.round(name="2018年下半年督促检查", kind="inspection")
    assert world.graded(second, {base_id: 70})[0]["to_status"] == "retained"


def test_an_accepted_rectification_before_the_deadline_retains_the_base(world):
    _, (base_id,), _ = evaluated(world, [40])
    world.now += timedelta(days=100)
    decision = world.app.accept_rectification(base_id, note="整改报告已审核", ctx=world.ctx())
    assert (decision["from_status"], decision["to_status"], decision["basis"]) == (
        "warned", "retained", "rectification")
    assert decision["reason"].endswith("整改报告已审核")
    world.now += timedelta(days=200)
    assert world.app.revoke_overdue() == []
    assert world.status(base_id) == "retained"


def test_a_rectification_cannot_be_accepted_after_the_deadline_nor_for_a_base_not_warned(world):
    _, (warned, good), _ = evaluated(world, [40, 85])
    with pytest.raises(RuleViolation, match="not warned"):
        world.app.accept_rectification(good, note="", ctx=world.ctx())
    world.now += timedelta(days=181)
    with pytest.raises(RuleViolation, match="deadline .* has passed"):
        world.app.accept_rectification(warned, note="", ctx=world.ctx())


def test_the_deadline_check_revokes_only_warned_bases_whose_deadline_has_passed(world):
    _, (warned, good), decisions = evaluated(world, [40, 85])
    deadline = decisions[warned]["rectification_deadline"]
    world.now = deadline
    assert world.app.revoke_overdue() == []
    world.now = deadline + timedelta(seconds=1)
    revoked = world.app.revoke_overdue()
    assert [(d["base_id"], d["to_status"], d["basis"]) for d in revoked] == [(warned, "revoked", "deadline")]
    assert revoked[0]["decided_by"]["role"] == "service"
    assert world.status(good) == "retained"
    assert world.app.revoke_overdue() == []  # nothing left: running it again changes nothing


def test_a_round_closing_after_a_missed_deadline_revokes_the_base_before_grading_it(world):
    _, (late, other), decisions = evaluated(world, [40, 85])
    deadline = decisions[late]["rectification_deadline"]
    world.now = deadline - timedelta(days=5)
    second = world.round(name="2018年下半年督促检查", kind="inspection", period="2018H2")
    world.now = deadline + timedelta(hours=1)  # the timer has not run yet
    closed = {d["base_id"]: d for d in world.graded(second, {late: 82, other: 85})}
    assert (closed[late]["from_status"], closed[late]["to_status"], closed[late]["basis"]) == (
        "warned", "revoked", "deadline")
    assert closed[late]["decided_at"] == deadline
    assert world.status(late) == "revoked"
    assert world.status(other) == "retained"
    assert world.app.revoke_overdue() == []  # already decided, in the round's own save


def revoked_while_the_round_is_open(world):
    """Two bases, one warned; a round opens for both; the warned one's deadline passes
    and the timer revokes it before the round closes."""
    _, (late, other), decisions = evaluated(world, [40, 85])
    deadline = decisions[late]["rectification_deadline"]
    world.now = deadline - timedelta(days=5)
    second = world.round(name="2018年下半年督促检查", kind="inspection", period="2018H2")
    world.assign(late, world.evaluator(name="先分配的专家"), round_id=second)
    world.now = deadline + timedelta(hours=1)
    assert [d["base_id"] for d in world.app.revoke_overdue()] == [late]
    return second, late, other


def test_a_base_revoked_while_its_round_is_open_is_withdrawn_not_graded(world):
    second, late, other = revoked_while_the_round_is_open(world)
    head = world.app.head()
    closed = world.graded(second, {other: 85})  # no score demanded for the revoked base
    assert [(d["base_id"], d["to_status"]) for d in closed] == [(other, "retained")]
    evaluation = world.app.repository.get(second)
    assert [g["base_id"] for g in evaluation.grades] == [other]
    assert [(w["base_id"], w["status"]) for w in evaluation.withdrawn] == [(late, "revoked")]
    assert "本轮评估结束前已撤销" in evaluation.withdrawn[0]["reason"]
    assert "未在整改期限" in evaluation.withdrawn[0]["reason"]
    shown = {b["base_id"]: b for b in world.app.round(second)["bases"]}
    assert (shown[late]["grade"], shown[late]["status"]) == (None, "revoked")
    assert shown[late]["withdrawn"] == evaluation.withdrawn[0]["reason"]
    assert shown[other]["withdrawn"] is None

    published, _ = world.app.published_after(head, 100)
    round_closed = [e for e in published if e.type == "RoundClosed"][0]
    again = load_event(round_closed.to_message())  # valid against the contract
    assert [g["base_id"] for g in again.payload["grades"]] == [other]
    assert [w["base_id"] for w in again.payload["withdrawn"]] == [late]
    assert world.app.what_if(second, "adjustment-2019.1")["decisions"][0]["base_id"] == other


def test_no_evaluator_is_assigned_to_a_base_revoked_since_its_round_opened(world):
    second, late, _ = revoked_while_the_round_is_open(world)
    with pytest.raises(RuleViolation) as caught:
        world.assign(late, world.evaluator(name="后分配的专家"), round_id=second)
    assert list(caught.value.fields) == ["base_id"]
    assert "revoked now" in caught.value.fields["base_id"][0]


def test_a_round_whose_every_base_was_revoked_closes_with_no_grades(world):
    _, (base_id,), decisions = evaluated(world, [40])
    deadline = decisions[base_id]["rectification_deadline"]
    world.now = deadline - timedelta(days=5)
    second = world.round(name="2018年下半年督促检查", kind="inspection", period="2018H2")
    world.now = deadline + timedelta(days=1)
    closed = world.app.close_round(second, policy_version="adjustment-2018.1", ctx=world.ctx())
    assert [(d["base_id"], d["basis"]) for d in closed] == [(base_id, "deadline")]
    published, _ = world.app.published_after(0, 1000)
    payload = load_event([e for e in published if e.type == "RoundClosed"][-1].to_message()).payload
    assert (payload["grades"], len(payload["withdrawn"])) == ([], 1)


def test_a_round_includes_only_the_bases_in_good_standing_when_it_opens(world):
    batch_id = world.open_batch(quota=1)
    kept, dropped = world.declare(batch_id, name="甲"), world.declare(batch_id, name="乙")
    world.scored(kept, "university", [90], batch_id=batch_id)
    world.scored(dropped, "university", [70], batch_id=batch_id)
    world.app.close_batch(batch_id, ctx=world.ctx())
    world.app.certify(batch_id, base_ids=None, ctx=world.ctx())
    round_id = world.round()
    assert [b["base_id"] for b in world.app.round(round_id)["bases"]] == [kept]
    with pytest.raises(RuleViolation, match="not being evaluated in this round"):
        world.assign(dropped, world.evaluator(name="专家X"), round_id=round_id)


def test_a_round_closes_only_when_every_base_is_scored_and_only_once(world):
    _, bases = world.certified(2)
    round_id = world.round()
    world.scored(bases[0], "university", [80], round_id=round_id)
    with pytest.raises(RuleViolation) as caught:
        world.app.close_round(round_id, policy_version="adjustment-2018.1", ctx=world.ctx())
    assert caught.value.fields["bases"] == ["基地1"]
    world.scored(bases[1], "university", [80], round_id=round_id)
    world.app.close_round(round_id, policy_version="adjustment-2018.1", ctx=world.ctx())
    with pytest.raises(Conflict):
        world.app.close_round(round_id, policy_version="adjustment-2018.1", ctx=world.ctx())


def test_a_round_for_a_period_that_has_not_begun_is_refused(world):
    world.certified(1)
    with pytest.raises(RuleViolation) as caught:
        world.round(period="2018H2")
    assert "has not begun" in caught.value.fields["period"][0]


def test_status_is_a_pure_function_of_the_decisions():
    def decision(a, b):
        return Decision(from_status=a, to_status=b, reason="理由", basis="evaluation")

    assert derive_status([]) == "declared"
    history = [decision("declared", "certified"), decision("certified", "warned"),
               decision("warned", "retained"), decision("retained", "recommended_national")]
    assert derive_status(history) == "recommended_national"
    with pytest.raises(InconsistentHistory):
        derive_status([decision("declared", "not_selected"), decision("not_selected", "certified")])
    with pytest.raises(InconsistentHistory):
        derive_status([decision("certified", "warned")])


def test_the_views_derive_the_same_status_as_the_aggregate_after_a_rebuild(world):
    _, bases, _ = evaluated(world, [95, 40])
    world.app.views.rebuild()
    for base_id in bases:
        assert world.app.get_base(base_id, DRC)["status"] == world.status(base_id)


def stricter() -> AdjustmentPolicy:
    """A draft where 合格 is no longer enough: it warns, with 90 days to rectify."""
    base = default_catalogue().policy("adjustment-2018.1")
    return AdjustmentPolicy(version="adjustment-2019.draft", title="草案",
                            rectification_days=90,
                            outcomes={**base.outcomes, "qualified": "warned"},
                            when_warned=base.when_warned,
                            rectification_accepted="retained", deadline_missed="revoked")


def test_what_if_returns_another_policys_decisions_and_leaves_the_log_untouched(world):
    world.app.catalogue = default_catalogue().with_policy(stricter())
    round_id, (excellent, qualified), _ = evaluated(world, [95, 65])
    head, statuses = world.app.head(), [world.status(excellent), world.status(qualified)]

    answer = world.app.what_if(round_id, "adjustment-2019.draft")
    rows = {row["base_id"]: row for row in answer["decisions"]}
    assert answer["applied_policy_version"] == "adjustment-2018.1"
    assert rows[qualified]["changed"] and rows[qualified]["proposed"]["to_status"] == "warned"
    assert rows[qualified]["actual"]["to_status"] == "retained"
    assert rows[qualified]["proposed"]["rectification_deadline"].isoformat() == "2018-05-30T23:59:59+08:00"
    assert not rows[excellent]["changed"]

    assert world.app.head() == head
    assert [world.status(excellent), world.status(qualified)] == statuses
    unchanged = world.app.what_if(round_id, "adjustment-2018.1")["decisions"]
    assert not any(row["changed"] for row in unchanged)


def test_a_round_closed_under_a_policy_not_in_force_needs_a_reason_recorded_with_each_decision(world):
    _, (base_id,) = world.certified(1)
    round_id = world.round()
    world.scored(base_id, "university", [65], round_id=round_id)
    with pytest.raises(RuleViolation) as caught:
        world.app.close_round(round_id, policy_version="adjustment-2019.1", ctx=world.ctx())
    assert list(caught.value.fields) == ["reason"]
    assert "not the adjustment policy in force (adjustment-2018.1)" in caught.value.fields["reason"][0]
    assert not world.app.repository.get(round_id).closed

    why = "省政府常务会议决定2018年下半年起试行2019年修订稿"
    decision = world.app.close_round(round_id, policy_version="adjustment-2019.1", reason=why,
                                     ctx=world.ctx())[0]
    assert (decision["to_status"], decision["policy_version"]) == ("warned", "adjustment-2019.1")
    assert decision["reason"].endswith(f"适用非现行调整办法 adjustment-2019.1（现行 adjustment-2018.1），理由：{why}")
    assert world.app.repository.get(round_id).policy_reason == why
    assert [r["policy_reason"] for r in world.app.rounds()] == [why]
    published, _ = world.app.published_after(0, 1000)
    closed = load_event([e for e in published if e.type == "RoundClosed"][0].to_message())
    assert closed.payload["policy_reason"] == why


def test_a_round_closed_under_the_policy_in_force_needs_no_reason(world):
    _, (base_id,) = world.certified(1)
    round_id = world.round()
    world.scored(base_id, "university", [65], round_id=round_id)
    decision = world.app.close_round(round_id, ctx=world.ctx())[0]  # the one in force
    assert (decision["to_status"], decision["policy_version"]) == ("retained", "adjustment-2018.1")
    assert "理由" not in decision["reason"] and world.app.repository.get(round_id).policy_reason is None


def test_what_if_needs_a_closed_round_and_a_known_policy(world):
    _, (base_id,) = world.certified(1)
    round_id = world.round()
    with pytest.raises(RuleViolation, match="not closed"):
        world.app.what_if(round_id, "adjustment-2018.1")
    world.graded(round_id, {base_id: 70})
    with pytest.raises(RuleViolation) as caught:
        world.app.what_if(round_id, "adjustment-1999.1")
    assert "policy_version" in caught.value.fields
