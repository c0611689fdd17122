"""Deadlines the registry sets from evaluation's events: a warning's rectification by
its date, met by the next decision; a base in good standing reports its year by 31
March after it, met by its report, which sets the next year's."""

from datetime import datetime, timedelta, timezone
from uuid import uuid4

from services.backbone.kernel.context import Actor

from services.contracts import CATALOG
from services.registry.application import RegistryApplication
from tests.support.upstream import Upstream, adjusted
from tests.unit.test_registry_domain import certified, new_base

BEIJING = timezone(timedelta(hours=8))


def registry_at(moment):
    app = RegistryApplication()
    app.clock = lambda: moment
    base = certified(new_base())
    app.save(base)
    return app, base.id


def test_a_warning_sets_its_rectification_reminders_and_the_next_decision_meets_them():
    app, base_id = registry_at(datetime(2018, 3, 2, 10, tzinfo=BEIJING))
    evaluation = Upstream("evaluation")
    assert app.receive(evaluation.event("BaseAdjusted", adjusted(
        base_id, "warned", "certified", status_after="warned", effective_on="2018-03-02",
        rectification_deadline="2018-08-31T23:59:59+08:00")))
    names = [d["name"] for d in app.pending_deadlines()]
    assert sorted(n.rsplit(":", 1)[1] for n in names if n.startswith("reminder:rectification")) == [
        "before-30", "before-7", "due", "overdue"]
    assert app.receive(evaluation.event("BaseAdjusted", adjusted(
        base_id, "retained", "warned", status_after="retained", effective_on="2018-08-20")))
    assert not [d for d in app.pending_deadlines() if d["name"].startswith("reminder:rectification")]


def test_a_reported_year_ends_its_reminders_and_sets_the_next_years():
    app, base_id = registry_at(datetime(2018, 1, 10, 10, tzinfo=BEIJING))
    evaluation = Upstream("evaluation")
    assert app.receive(evaluation.event("BaseAdjusted", adjusted(
        base_id, "retained", "certified", status_after="retained", effective_on="2018-01-10")))
    pending = {d["name"] for d in app.pending_deadlines()}
    assert f"reminder:annual_report:{base_id}:2018:due" in pending
    report = {**CATALOG["AnnualReportSubmitted"].example, "base_id": str(base_id), "year": 2018}
    assert app.receive(evaluation.event("AnnualReportSubmitted", report, role="applicant"))
    pending = {d["name"] for d in app.pending_deadlines()}
    assert not any(":2018:" in name for name in pending)
    assert f"reminder:annual_report:{base_id}:2019:due" in pending


def deadline_items(app, actor) -> list[dict]:
    return [item for item in app.todo(actor) if item["task"] in ("rectification", "annual_report")]


def test_the_applicant_sees_a_rectification_in_todo_once_reminded_until_the_next_decision():
    now = [datetime(2018, 3, 2, 10, tzinfo=BEIJING)]
    app = RegistryApplication()
    app.clock = lambda: now[0]
    base = certified(new_base())
    app.save(base)
    applicant = Actor(id=uuid4(), role="applicant", name="太原理工大学", base_ids=(base.id,))
    evaluation = Upstream("evaluation")
    app.receive(evaluation.event("BaseAdjusted", adjusted(
        base.id, "warned", "certified", status_after="warned", effective_on="2018-03-02",
        rectification_deadline="2018-08-31T23:59:59+08:00")))
    assert deadline_items(app, applicant) == []  # nothing reminded yet
    now[0] = datetime(2018, 9, 1, 1, tzinfo=BEIJING)
    app.fire_due_deadlines()
    [item] = deadline_items(app, applicant)
    assert (item["task"], item["due_on"], item["overdue"]) == ("rectification", "2018-08-31", True)
    assert deadline_items(app, Actor(id=uuid4(), role="applicant", name="山西大学", base_ids=(uuid4(),))) == []
    app.receive(evaluation.event("BaseAdjusted", adjusted(
        base.id, "retained", "warned", status_after="retained", effective_on="2018-09-01")))
    assert deadline_items(app, applicant) == []
