"""The deadline clock on a real store: a deadline set before a restart fires after it,
and fires once even when two instances of the service find it due together."""

from datetime import datetime, timedelta, timezone

import pytest

from services.evaluation.application import EvaluationApplication
from tests.support.evaluation_world import POLICY_IN_FORCE, World
from tests.support.settings import settings_of, store_env_of

BEIJING = timezone(timedelta(hours=8))
AFTER_THE_PERIOD = datetime(2018, 11, 12, 9, 0, tzinfo=BEIJING)


@pytest.fixture
def config(tmp_path):
    return {"store": {"backend": "sqlite", "sqlite_dir": str(tmp_path)}}


def instance(config, clock) -> EvaluationApplication:
    """An evaluation service's application over the store (a process started anew)."""
    app = EvaluationApplication(env=store_env_of(config, "evaluation"))
    app.configure(settings_of({"evaluation": {"adjustment_policy": POLICY_IN_FORCE}}).evaluation)
    app.clock = clock
    return app


def notice_published(config) -> World:
    world = World()
    world.app.close()
    world.app = instance(config, lambda: world.now)
    batch_id = world.open_batch(quota=1)
    base_id = world.declare(batch_id)
    world.scored(base_id, "university", [85], batch_id=batch_id)
    world.app.close_batch(batch_id, ctx=world.ctx())
    world.now = datetime(2018, 11, 5, 9, 0, tzinfo=BEIJING)
    world.app.publish_notice(title="拟认定名单公示", purpose="certification", batch_id=batch_id,
                             base_ids=[base_id], working_days=5, contact="省发展改革委", ctx=world.ctx())
    world.base_id = base_id
    world.app.close()
    return world


def test_a_deadline_set_before_a_restart_fires_after_it_once(config):
    world = notice_published(config)
    restarted = instance(config, lambda: AFTER_THE_PERIOD)
    assert [d["action"] for d in restarted.pending_deadlines()] == ["conclude_notice"]  # from the log
    fired = restarted.fire_due_deadlines()
    assert len(fired) == 1 and restarted.repository.get(world.base_id).status == "certified"
    restarted.close()
    again = instance(config, lambda: AFTER_THE_PERIOD)
    assert again.pending_deadlines() == [] and again.fire_due_deadlines() == []
    again.close()


def test_two_instances_finding_a_deadline_due_fire_it_once(config):
    world = notice_published(config)
    first, second = (instance(config, lambda: AFTER_THE_PERIOD) for _ in range(2))
    second.views.catch_up()  # both have seen the deadline pending
    assert len(first.fire_due_deadlines()) == 1
    assert second.fire_due_deadlines() == []  # its commit conflicts on the deadline's version
    decisions = [e for _, e in second.all_events() if type(e).__name__ == "Adjusted"]
    assert len(decisions) == 1  # the base was certified once, not twice
    assert second.repository.get(world.base_id).status == "certified"
    first.close()
    second.close()
