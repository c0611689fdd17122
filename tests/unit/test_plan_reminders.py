"""Reminders of a plan to approve, on a real store (SQLite): a submitted version not
approved within its working days is reminded of, then marked overdue, each step once
across restarts and instances; approving it cancels what is pending."""

from datetime import datetime, timedelta, timezone

import pytest

from services.registry.application import RegistryApplication
from services.registry.integration import publications
from tests.support.settings import store_env_of
from tests.unit.test_registry_reviews import DRC
from tests.unit.test_registry_domain import (APPLICANT, COUNTY, DEPARTMENT, TARGETS, TASKS,
                                             certified, new_base)

BEIJING = timezone(timedelta(hours=8))
SUBMITTED = datetime(2017, 9, 29, 10, tzinfo=BEIJING)  # due 2017-11-02 (20 working days)
FIVE_BEFORE = datetime(2017, 10, 26, 9, 30, tzinfo=BEIJING)
AFTER_DUE = datetime(2017, 11, 3, 8, tzinfo=BEIJING)


@pytest.fixture
def config(tmp_path):
    return {"store": {"backend": "sqlite", "sqlite_dir": str(tmp_path)}}


def instance(config, moment) -> RegistryApplication:
    """A registry service's application over the store (a process started anew)."""
    app = RegistryApplication(env=store_env_of(config, "registry"))
    app.clock = lambda: moment
    return app


def submitted(config):
    app = instance(config, SUBMITTED)
    base = certified(new_base())
    app.save(base)
    app.draft_plan(base.id, tasks=TASKS, targets=TARGETS, actor=APPLICANT, ctx=APPLICANT.context())
    app.close()
    return base.id


def published(app) -> list[tuple[str, str]]:
    """(type, step) of every reminder the log publishes."""
    out = []
    for _, event in app.all_events():
        translated = publications.translate(event)
        if translated and translated[0] in ("ReminderDue", "Overdue"):
            out.append((translated[0], translated[1].get("step", "overdue")))
    return out


def test_an_unapproved_plan_is_reminded_then_overdue_each_step_once_across_restarts(config):
    base_id = submitted(config)
    first = instance(config, FIVE_BEFORE)
    assert first.fire_due_deadlines() == [f"reminder:approve_plan:{base_id}:v1:before-5"]
    first.close()
    again = instance(config, FIVE_BEFORE)  # restarted between the firing and the next check
    assert again.fire_due_deadlines() == []
    again.close()
    late, other = instance(config, AFTER_DUE), instance(config, AFTER_DUE)
    other.views.catch_up()  # a second instance has seen the same steps pending
    assert len(late.fire_due_deadlines()) == 3 and other.fire_due_deadlines() == []
    assert published(other) == [("ReminderDue", "before-5"), ("ReminderDue", "before-1"),
                                ("ReminderDue", "due"), ("Overdue", "overdue")]
    late.close()
    other.close()


def test_a_reminder_names_the_approvers_still_to_decide(config):
    base_id = submitted(config)
    app = instance(config, FIVE_BEFORE)
    app.approve_plan(base_id, version=1, actor=COUNTY, ctx=COUNTY.context())
    app.fire_due_deadlines()
    payloads = [publications.translate(e)[1] for _, e in app.all_events()
                if (publications.translate(e) or ("",))[0] == "ReminderDue"]
    assert [(p["concerned"], str(p["due_on"])) for p in payloads] == [
        ([{"role": "competent_department", "unit": "山西省教育厅"}], "2017-11-02")]
    app.close()


def test_approval_by_both_cancels_the_pending_reminders(config):
    base_id = submitted(config)
    app = instance(config, FIVE_BEFORE)
    for approver in (COUNTY, DEPARTMENT):
        app.approve_plan(base_id, version=1, actor=approver, ctx=approver.context())
    assert app.pending_deadlines() == []
    app.close()
    late = instance(config, AFTER_DUE)
    assert late.fire_due_deadlines() == [] and published(late) == []
    late.close()


def test_todo_marks_a_plan_to_approve_with_its_due_day_then_overdue(config):
    base_id = submitted(config)
    app = instance(config, AFTER_DUE)
    [item] = app.todo(COUNTY)
    assert (item["task"], item["due_on"], item["overdue"]) == ("approve_plan", "2017-11-02", False)
    app.fire_due_deadlines()
    [item] = app.todo(COUNTY)
    assert item["overdue"] and "已逾期" in item["detail"] and item["base_id"] == base_id
    app.close()


def test_a_new_version_cancels_the_reminders_of_the_returned_one(config):
    base_id = submitted(config)
    app = instance(config, FIVE_BEFORE)
    app.return_plan(base_id, version=1, comments="目标偏低", actor=COUNTY, ctx=COUNTY.context())
    app.draft_plan(base_id, tasks=TASKS, targets=TARGETS, actor=APPLICANT, ctx=APPLICANT.context())
    assert {d["name"].split(":")[3] for d in app.pending_deadlines()} == {"v2"}
    app.close()


def test_the_drc_sees_every_overdue_task_and_nothing_before(config):
    base_id = submitted(config)
    app = instance(config, FIVE_BEFORE)
    app.fire_due_deadlines()
    assert app.todo(DRC) == []  # reminded, not yet overdue
    app.close()
    late = instance(config, AFTER_DUE)
    late.fire_due_deadlines()
    [item] = late.todo(DRC)
    assert (item["task"], item["base_id"], item["due_on"], item["overdue"]) == (
        "approve_plan", base_id, "2017-11-02", True)
    late.close()
