"""Evaluation's documents: an evaluation report from the evaluator who scored (or the
DRC), a rectification report from a warned base's applicant, a decision's document from
the DRC; seen by those who work with or review the base."""

from datetime import datetime, timezone
from uuid import uuid4

import pytest

from services.backbone.kernel.documents import Upload
from services.backbone.kernel.context import Actor
from services.backbone.kernel.errors import Forbidden, RuleViolation
from tests.support.evaluation_world import DRC, World, sheet


def upload(kind: str, sha: str) -> Upload:
    return Upload(name="报告.pdf", media_type="application/pdf", size=100, sha256=sha * 64, kind=kind, fields={})


def attach(world, base_id, actor, sha="a", kind="evaluation_report", **attached_to):
    return world.app.attach_document(base_id, attached_to=attached_to, upload=upload(kind, sha),
                                     actor=actor, ctx=actor.context())


@pytest.fixture
def world():
    return World()


def test_an_evaluation_report_comes_from_the_evaluator_who_scored_or_the_drc(world):
    batch_id = world.open_batch()
    base_id = world.declare(batch_id)
    scorer, other = world.evaluator(), world.evaluator(name="另一专家")
    world.assign(base_id, scorer, batch_id=batch_id)
    with pytest.raises(Forbidden):  # assigned, not yet scored
        attach(world, base_id, scorer, on="evaluation_report", occasion_id=batch_id)
    world.score(base_id, scorer, sheet("university", 80), batch_id=batch_id)
    report = attach(world, base_id, scorer, on="evaluation_report", occasion_id=batch_id)
    assert report["attached_by"]["id"] == scorer.id
    with pytest.raises(Forbidden):
        attach(world, base_id, other, sha="b", on="evaluation_report", occasion_id=batch_id)
    attach(world, base_id, DRC, sha="c", on="evaluation_report", occasion_id=batch_id)
    assert [d["attached_to"] for d in world.app.documents(base_id, DRC)] == [
        {"on": "evaluation_report", "occasion_id": batch_id}] * 2


def test_a_rectification_report_comes_from_a_warned_bases_applicant(world):
    _, (base_id,) = world.certified()
    applicant = world.applicants[base_id]
    with pytest.raises(RuleViolation, match="never warned"):
        attach(world, base_id, applicant, kind="rectification_report", on="rectification")
    world.now = datetime(2018, 3, 1, 10, 0, tzinfo=timezone.utc)  # the 2018H1 round's period has begun
    world.graded(world.round(), {base_id: 50})  # 不合格: warned
    assert world.status(base_id) == "warned"
    attach(world, base_id, applicant, kind="rectification_report", on="rectification")
    with pytest.raises(Forbidden):
        attach(world, base_id, DRC, sha="b", kind="rectification_report", on="rectification")


def test_a_decisions_document_comes_from_the_drc_and_names_the_decision(world):
    _, (base_id,) = world.certified()
    attach(world, base_id, DRC, kind="decision_document", on="decision", decision=1)
    with pytest.raises(RuleViolation, match="decisions"):
        attach(world, base_id, DRC, sha="b", kind="decision_document", on="decision", decision=2)
    with pytest.raises(Forbidden):
        attach(world, base_id, world.applicants[base_id], sha="c", kind="decision_document",
               on="decision", decision=1)
    with pytest.raises(Forbidden):
        world.app.documents(base_id, Actor(id=uuid4(), role="funding_office"))
    assert len(world.app.documents(base_id, world.applicants[base_id])) == 1
