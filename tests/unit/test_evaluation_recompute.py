"""Status recomputed over the whole history under another policy version: the bases it
would treat differently are named, later consequences included, and nothing is written."""

from datetime import datetime, timedelta, timezone

import pytest

from tests.support.evaluation_world import World


@pytest.fixture
def world():
    world = World()
    world.now = datetime(2018, 3, 1, 10, 0, tzinfo=timezone.utc)
    return world


def test_the_same_policy_changes_nothing(world):
    _, (good, weak) = world.certified(2)
    round_id = world.round()
    world.graded(round_id, {good: 85, weak: 50})
    result = world.app.recompute("adjustment-2018.1")
    assert result["changed"] == []
    assert {row["status_under_policy"] for row in result["bases"]} == {"retained", "warned"}


def test_a_stricter_policy_warns_a_qualified_base_and_revokes_it_when_its_deadline_passes(world):
    _, (good, fair) = world.certified(2)
    round_id = world.round()
    world.graded(round_id, {good: 85, fair: 65})  # 良好 and 合格: both retained under 2018
    head = world.app.head()

    soon = world.app.recompute("adjustment-2019.1")
    changed = {row["base_id"]: row for row in soon["changed"]}
    assert list(changed) == [fair]
    assert changed[fair]["status_now"] == "retained"
    assert changed[fair]["status_under_policy"] == "warned"

    world.now += timedelta(days=100)  # past 2019.1's 90 days, within 2018.1's 180
    later = {row["base_id"]: row for row in world.app.recompute("adjustment-2019.1")["changed"]}
    assert later[fair]["status_under_policy"] == "revoked"
    assert [d["basis"] for d in later[fair]["decisions_under_policy"]] == ["selection", "evaluation",
                                                                             "deadline"]
    assert world.app.head() == head  # nothing was written
    assert world.status(fair) == "retained"


def test_a_base_warned_under_the_new_rules_and_qualified_again_is_revoked(world):
    _, (base,) = world.certified(1)
    first = world.round()
    world.graded(first, {base: 65})  # 合格: retained (2018.1) / warned (2019.1)
    world.now += timedelta(days=60)  # within 2019.1's 90-day rectification period
    second = world.round(name="2018年上半年督促检查", kind="inspection", period="2018H1")
    world.graded(second, {base: 66})  # 合格 again: retained / revoked when warned (2019.1)
    row = world.app.recompute("adjustment-2019.1")["changed"][0]
    assert (row["status_now"], row["status_under_policy"]) == ("retained", "revoked")
    assert [d["grade"] for d in row["decisions_under_policy"][1:]] == ["qualified", "qualified"]
    assert row["decisions_under_policy"][-1]["basis"] == "evaluation"


def test_an_accepted_rectification_counts_only_within_the_new_deadline(world):
    _, (base,) = world.certified(1)
    round_id = world.round()
    world.graded(round_id, {base: 50})  # 不合格: warned under both
    world.now += timedelta(days=120)  # accepted on day 120: within 180, not within 90
    world.app.accept_rectification(base, note="整改完成", ctx=world.ctx())
    row = {r["base_id"]: r for r in world.app.recompute("adjustment-2019.1")["bases"]}[base]
    assert row["status_now"] == "retained"
    assert row["status_under_policy"] == "revoked"
