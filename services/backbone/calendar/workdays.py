"""Working days (工作日) in mainland China: Monday to Friday, less the public holidays,
plus the weekend days worked in exchange (调休), from ``workdays.yaml``.

Periods of public notice (公示, "5 working days") and of answer are counted on it. The
holidays are announced a year at a time, so a period that reaches a year the data does
not list is refused (``NoCalendar``) rather than counted as if it had none.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from pathlib import Path

import yaml

BEIJING = timezone(timedelta(hours=8), "CST")
DATA = Path(__file__).with_name("workdays.yaml")
MAX_PERIOD = 60  # working days: a notice or an answer period, never a quarter


class NoCalendar(ValueError):
    """A day of a year whose holidays the calendar does not know."""

    def __init__(self, year: int, version: str):
        super().__init__(f"The working-day calendar {version} has no data for {year} (its "
                         "holidays are not announced or not entered): a period reaching "
                         f"{year} cannot be counted.")
        self.year = year


@dataclass(frozen=True)
class WorkingCalendar:
    """One version of the calendar: per year, its holidays and make-up working days."""

    version: str
    holidays: dict[int, frozenset[date]]
    workdays: dict[int, frozenset[date]]

    @classmethod
    def from_data(cls, data: dict) -> "WorkingCalendar":
        """Builds the calendar, refusing data that contradicts itself: a make-up day
        that is not a weekend day, a day both off and worked, a day filed in another
        year (a holiday that spans the new year is listed under each year it touches)."""
        holidays, workdays = {}, {}
        for year, entry in data["years"].items():
            off = {start + timedelta(days=i) for start, end in entry["holidays"]
                   for i in range((end - start).days + 1)}
            worked = set(entry["workdays"])
            if stray := sorted(d for d in off | worked if d.year != year):
                raise ValueError(f"{year}: {stray[0]} is not a day of {year}")
            if both := sorted(off & worked):
                raise ValueError(f"{year}: {both[0]} is both a holiday and a working day")
            if weekday := sorted(d for d in worked if d.weekday() < 5):
                raise ValueError(f"{year}: {weekday[0]} is a make-up working day on a weekday")
            holidays[year], workdays[year] = frozenset(off), frozenset(worked)
        return cls(str(data["version"]), holidays, workdays)

    def is_working_day(self, day: date) -> bool:
        if day.year not in self.holidays:
            raise NoCalendar(day.year, self.version)
        if day in self.workdays[day.year]:
            return True
        return day.weekday() < 5 and day not in self.holidays[day.year]

    def nth_working_day(self, start: date, n: int) -> date:
        """The ``n``th working day from ``start`` on, ``start`` counting if it is one:
        a notice published on Friday 2022-03-18 for 5 working days ends on 03-24."""
        if not 1 <= n <= MAX_PERIOD:
            raise ValueError(f"a period is 1 to {MAX_PERIOD} working days")
        day, counted = start, 0
        while True:
            counted += self.is_working_day(day)
            if counted == n:
                return day
            day += timedelta(days=1)

    def period_end(self, start: date, n: int) -> datetime:
        """The end (23:59:59 Beijing time) of a period of ``n`` working days."""
        return datetime.combine(self.nth_working_day(start, n), time(23, 59, 59), BEIJING)


@lru_cache(maxsize=1)
def working_calendar() -> WorkingCalendar:
    """The calendar in force (the data file's version)."""
    return WorkingCalendar.from_data(yaml.safe_load(DATA.read_text(encoding="utf-8")))
