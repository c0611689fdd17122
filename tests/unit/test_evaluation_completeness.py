"""A declaration the DRC returned for completion (退回补正) and never resubmitted is not
certified with its batch; one resubmitted is judged like any other."""

from uuid import uuid4

import pytest

from services.backbone.kernel.errors import RuleViolation
from services.contracts import ActorRef, new_event
from tests.support.evaluation_world import DRC, World


def from_registry(world, event_type, payload):
    world.position += 1
    assert world.app.receive(new_event(
        event_id=uuid4(), type=event_type, source="registry", position=world.position,
        previous_position=world.position - 1, occurred_at=world.now,
        actor=ActorRef(DRC.id, "drc", DRC.name), correlation_id=uuid4(), payload=payload))


def batch_with_a_returned_declaration(world, resubmitted=False):
    batch_id = world.open_batch(quota=2)
    kept, returned = world.declare(batch_id, name="甲"), world.declare(batch_id, name="乙")
    from_registry(world, "DeclarationReturned", {"base_id": returned, "batch_id": batch_id, "comments": "缺申报书"})
    if resubmitted:
        from_registry(world, "DeclarationResubmitted", {"base_id": returned, "batch_id": batch_id, "note": "已补充"})
    world.scored(kept, "university", [80], batch_id=batch_id)
    world.scored(returned, "university", [90], batch_id=batch_id)
    world.app.close_batch(batch_id, ctx=world.ctx())
    return batch_id, kept, returned


@pytest.fixture
def world():
    return World()


def test_a_declaration_still_returned_is_not_certified_and_told_why(world):
    batch_id, kept, returned = batch_with_a_returned_declaration(world)
    with pytest.raises(RuleViolation, match="returned for completion"):
        world.app.certify(batch_id, base_ids=[returned], ctx=world.ctx())
    decisions = {d["base_id"]: d for d in world.app.certify(batch_id, base_ids=None, ctx=world.ctx())}
    assert (decisions[kept]["to_status"], decisions[returned]["to_status"]) == ("certified", "not_selected")
    assert "退回补正后未重新提交" in decisions[returned]["reason"]


def test_a_resubmitted_declaration_is_judged_like_any_other(world):
    batch_id, kept, returned = batch_with_a_returned_declaration(world, resubmitted=True)
    decisions = {d["base_id"]: d for d in world.app.certify(batch_id, base_ids=None, ctx=world.ctx())}
    assert decisions[returned]["to_status"] == decisions[kept]["to_status"] == "certified"
