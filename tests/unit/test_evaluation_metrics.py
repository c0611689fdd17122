"""Metrics a base reports per half-year feed its evaluation; corrections are explicit
and kept. Reads are scoped: an applicant sees its own base, an evaluator its own work."""

from datetime import datetime, timezone
from decimal import Decimal
from uuid import uuid4

import pytest

from services.backbone.kernel.context import Actor
from services.backbone.kernel.errors import Conflict, Forbidden, RuleViolation
from tests.support.evaluation_world import DRC, World

FIGURES = {"incubated_enterprises": 42, "jobs_created": 1300, "financing_raised": Decimal("25000000.00"),
           "patents": 35, "events_held": 12}


@pytest.fixture
def world():
    world = World()
    world.now = datetime(2018, 7, 15, tzinfo=timezone.utc)
    return world


@pytest.fixture
def base(world):
    _, (base_id,) = world.certified(1)
    return base_id


def report(world, base_id, period="2018H1", values=None, correction=False, note="", actor=None):
    return world.app.report_metrics(base_id, period=period, values=values or FIGURES,
                                    correction=correction, note=note,
                                    actor=actor or world.applicants[base_id],
                                    ctx=world.applicants[base_id].context())


def test_reported_metrics_are_shown_with_the_base_in_the_round_of_their_period(world, base):
    report(world, base)
    round_id = world.round(period="2018H1")
    shown = world.app.round(round_id)["bases"][0]
    assert shown["metrics"] == FIGURES and shown["metrics_revisions"] == 1
    assert world.app.get_base(base, DRC)["metrics"][0]["values"] == FIGURES


def test_a_period_already_reported_changes_only_by_an_explicit_correction_kept_as_such(world, base):
    report(world, base)
    with pytest.raises(Conflict) as caught:
        report(world, base, values={**FIGURES, "patents": 36})
    assert "correction" in caught.value.fields["period"][0]
    with pytest.raises(RuleViolation) as caught:
        report(world, base, values={**FIGURES, "patents": 36}, correction=True)
    assert "note" in caught.value.fields
    report(world, base, values={**FIGURES, "patents": 36}, correction=True, note="漏报1项发明专利")

    metrics = world.app.get_base(base, DRC)["metrics"][0]
    assert metrics["values"]["patents"] == 36
    assert [(r["correction"], r["note"]) for r in metrics["revisions"]] == [
        (False, ""), (True, "漏报1项发明专利")]


def test_a_correction_needs_something_to_correct(world, base):
    with pytest.raises(RuleViolation) as caught:
        report(world, base, correction=True, note="更正")
    assert "correction" in caught.value.fields


@pytest.mark.parametrize("period", ["2018", "2018H3", "2018-H1", "1999H1"])
def test_a_period_is_a_half_year(world, base, period):
    with pytest.raises(RuleViolation) as caught:
        report(world, base, period=period)
    assert "2018H1" in caught.value.fields["period"][0]


def test_a_period_that_has_not_begun_cannot_be_reported(world, base):
    with pytest.raises(RuleViolation, match="has not begun"):
        report(world, base, period="2019H1")


@pytest.mark.parametrize("metric, value", [("jobs_created", -1), ("patents", Decimal("2.5")),
                                           ("financing_raised", 1000.5),
                                           ("financing_raised", Decimal("-0.01")),
                                           ("events_held", True)])
def test_metrics_are_non_negative_counts_and_money_is_decimal(world, base, metric, value):
    with pytest.raises(RuleViolation) as caught:
        report(world, base, values={**FIGURES, metric: value})
    assert metric in caught.value.fields["values"]


def test_every_metric_is_reported(world, base):
    values = {k: v for k, v in FIGURES.items() if k != "events_held"}
    with pytest.raises(RuleViolation) as caught:
        report(world, base, values=values)
    assert caught.value.fields["values"]["events_held"] == ["Missing."]


def test_only_the_bases_own_applicant_reports_its_metrics(world, base):
    stranger = Actor(id=uuid4(), role="applicant", name="别的单位")
    with pytest.raises(Forbidden):
        report(world, base, actor=stranger)
    delegate = Actor(id=uuid4(), role="applicant", name="基地办公室", base_ids=(base,))
    report(world, base, actor=delegate)


def test_a_base_that_is_not_certified_reports_no_metrics(world):
    batch_id = world.open_batch(name="2018年第二批")
    declared = world.declare(batch_id, name="待评选基地")
    with pytest.raises(RuleViolation, match="only demonstration bases"):
        report(world, declared)


def test_an_applicant_reads_its_own_base_and_its_decisions_but_not_others(world):
    _, (mine, theirs) = world.certified(2)
    applicant = world.applicants[mine]
    shown = world.app.get_base(mine, applicant)
    assert shown["status"] == "certified" and shown["assessments"][0]["score"] == Decimal("85.00")
    assert [d["to_status"] for d in world.app.decisions(applicant, base_id=mine)] == ["certified"]
    with pytest.raises(Forbidden):
        world.app.get_base(theirs, applicant)
    with pytest.raises(Forbidden):
        world.app.decisions(applicant, base_id=theirs)
    with pytest.raises(Forbidden):
        world.app.decisions(applicant)


def test_an_evaluator_reads_its_own_assignments_and_bases_only(world):
    _, assigned, other, evaluator = world.assigned_pair()

    mine = world.app.assignments(evaluator)
    assert [(a["base_id"], a["base_name"], a["scored_at"]) for a in mine] == [(assigned, "甲", None)]
    assert len(world.app.assignments(DRC)) == 2
    with pytest.raises(Forbidden):
        world.app.assignments(evaluator, evaluator_id=uuid4())
    assert world.app.get_base(assigned, evaluator)["name"] == "甲"
    with pytest.raises(Forbidden):
        world.app.get_base(other, evaluator)


def test_score_sheets_are_readable_for_audit_and_an_evaluator_sees_only_its_own(world):
    batch_id, mine, other, evaluator = world.assigned_pair()
    world.score(mine, evaluator, {"talent_cultivation": Decimal("90"), "technology_transfer": Decimal("80"),
                                  "student_entrepreneurship": Decimal("70"),
                                  "support_services": Decimal("60.5")}, batch_id=batch_id)
    sheets = world.app.score_sheets(DRC, batch_id=batch_id)
    # (90×25 + 80×30 + 70×25 + 60.5×20) / 100 = 76.1
    assert [(s["base_id"], s["weighted"]) for s in sheets] == [(mine, Decimal("76.1"))]
    assert sheets[0]["scores"]["support_services"] == Decimal("60.5")
    assert world.app.score_sheets(evaluator, base_id=other) == []
    assert world.app.score_sheets(DRC, round_id=uuid4()) == []


def test_a_bases_metrics_are_readable_by_its_applicant_and_not_by_another(world, base):
    report(world, base)
    assert world.app.base_metrics(base, world.applicants[base])[0]["period"] == "2018H1"
    with pytest.raises(Forbidden):
        world.app.base_metrics(base, Actor(id=uuid4(), role="applicant"))
