"""Deadline rules as data: a task's due day and its reminder steps, counted on the
working-day calendar or in calendar days, at Beijing times."""

from datetime import date, datetime, timedelta, timezone

import pytest

from services.backbone.deadlines.rules import DeadlineRules, deadline_rules

BEIJING = timezone(timedelta(hours=8))


def test_a_plan_submitted_before_national_day_is_due_twenty_working_days_later():
    # 09-30 (a Saturday worked in exchange) counts; 10-01 to 10-08 do not
    assert deadline_rules()["approve_plan"].due_on(date(2017, 9, 29)) == date(2017, 11, 2)


def test_plan_reminders_come_working_days_before_at_nine_and_overdue_at_midnight_after():
    rule = deadline_rules()["approve_plan"]
    steps = {step.name: step.at for step in rule.steps(date(2017, 11, 2))}
    assert steps == {"before-5": datetime(2017, 10, 26, 9, tzinfo=BEIJING),  # over a weekend
                     "before-1": datetime(2017, 11, 1, 9, tzinfo=BEIJING),
                     "due": datetime(2017, 11, 2, 9, tzinfo=BEIJING),
                     "overdue": datetime(2017, 11, 3, 0, tzinfo=BEIJING)}


def test_the_annual_report_of_a_year_is_due_on_31_march_after_it_counted_in_calendar_days():
    rule = deadline_rules()["annual_report"]
    assert rule.due_on(date(2017, 1, 1)) == date(2018, 3, 31)
    assert [s.at.date() for s in rule.steps(date(2018, 3, 31))] == [
        date(2018, 3, 1), date(2018, 3, 24), date(2018, 3, 31), date(2018, 4, 1)]


def test_a_rectification_is_due_on_the_date_its_warning_gives():
    rule = deadline_rules()["rectification"]
    assert rule.due_on(given=date(2019, 6, 30)) == date(2019, 6, 30)
    with pytest.raises(ValueError, match="given date"):
        rule.due_on(date(2019, 1, 1))


def test_rules_data_with_a_reminder_on_or_after_the_due_day_is_refused():
    data = {"version": "x", "rules": {"t": {"what": "事", "due": {"after": 3, "days": "calendar"},
                                            "remind_before": {"at": [0], "days": "calendar"}}}}
    with pytest.raises(ValueError, match="1 day or more"):
        DeadlineRules.from_data(data)
