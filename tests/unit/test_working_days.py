"""The working-day calendar: weekends, holidays and make-up working days (调休), and
refusal of a year it has no data for."""

from datetime import date, datetime, timedelta, timezone

import pytest

from services.backbone.calendar.workdays import NoCalendar, WorkingCalendar, working_calendar


def test_a_five_day_notice_from_a_friday_ends_the_next_thursday():
    assert working_calendar().nth_working_day(date(2022, 3, 18), 5) == date(2022, 3, 24)  # NDRC 2022


def test_national_day_is_skipped_and_its_make_up_saturday_counts():
    calendar = working_calendar()
    assert calendar.is_working_day(date(2017, 9, 30))  # a Saturday worked for National Day
    assert not calendar.is_working_day(date(2017, 10, 5))
    assert calendar.nth_working_day(date(2017, 9, 28), 5) == date(2017, 10, 10)


def test_spring_festival_2018_and_its_make_up_sunday():
    calendar = working_calendar()
    assert calendar.is_working_day(date(2018, 2, 11))  # Sunday
    assert not calendar.is_working_day(date(2018, 2, 15))
    assert calendar.nth_working_day(date(2018, 2, 12), 5) == date(2018, 2, 23)
    assert calendar.nth_working_day(date(2018, 2, 12), 6) == date(2018, 2, 24)  # Sat. worked


def test_the_period_ends_at_the_end_of_its_last_working_day_beijing_time():
    end = working_calendar().period_end(date(2018, 11, 5), 5)
    assert end == datetime(2018, 11, 9, 23, 59, 59, tzinfo=timezone(timedelta(hours=8)))


def test_a_period_reaching_a_year_without_data_is_refused():
    with pytest.raises(NoCalendar) as refused:
        working_calendar().nth_working_day(date(2026, 12, 28), 7)
    assert refused.value.year == 2027 and "2027" in str(refused.value)


def test_data_that_contradicts_itself_is_refused():
    with pytest.raises(ValueError, match="weekday"):
        WorkingCalendar.from_data({"version": "x", "years": {2018: {
            "holidays": [], "workdays": [date(2018, 2, 12)]}}})
    with pytest.raises(ValueError, match="both"):
        WorkingCalendar.from_data({"version": "x", "years": {2018: {
            "holidays": [[date(2018, 2, 10), date(2018, 2, 11)]], "workdays": [date(2018, 2, 11)]}}})


def test_every_year_of_the_data_has_its_make_up_days_on_weekends():
    calendar = working_calendar()
    assert set(range(2017, 2027)) <= set(calendar.holidays)
    for days in calendar.workdays.values():
        assert all(day.weekday() >= 5 for day in days)

