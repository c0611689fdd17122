"""Deadline rules read from ``rules.yaml``: when a task falls due and the steps of its
reminders (before, on the day, overdue). Pure: the reminders module sets them on the
deadline clock. Kept as data so that a changed period is a new version, not a code edit.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path

import yaml

from services.backbone.calendar.workdays import BEIJING, WorkingCalendar, working_calendar

DATA = Path(__file__).with_name("rules.yaml")
REMIND_AT = time(9, 0)  # a reminder arrives at the start of an office day, Beijing time
OVERDUE = "overdue"
ON_THE_DAY = "due"


@dataclass(frozen=True)
class Step:
    """One moment of a deadline's reminders: ``before-5``, ``due`` or ``overdue``."""

    name: str
    at: datetime

    @property
    def overdue(self) -> bool:
        return self.name == OVERDUE


@dataclass(frozen=True)
class DeadlineRule:
    """A task's deadline: how it falls due and when to remind before it."""

    task: str
    what: str
    due: dict
    remind_before: tuple[int, ...]
    remind_days: str  # "working" or "calendar"

    def due_on(self, start: date | None = None, *, given: date | None = None,
               calendar: WorkingCalendar | None = None) -> date:
        """The due day: ``after`` days from ``start`` (which counts as day 0), a fixed
        day of the year of ``start`` or the next, or the date ``given`` by a decision."""
        if "given" in self.due:
            if given is None:
                raise ValueError(f"{self.task} is due on a given date ({self.due['given']})")
            return given
        if "month_day" in self.due:
            year = start.year + (1 if self.due.get("year") == "next" else 0)
            return date(year, *self.due["month_day"])
        return shift(start, self.due["after"], self.due["days"], calendar)

    def steps(self, due_on: date, calendar: WorkingCalendar | None = None) -> list[Step]:
        """Reminders before (furthest first), on the due day, and the overdue marker at
        the start of the next day."""
        steps = [Step(f"before-{n}", _morning(shift(due_on, -n, self.remind_days, calendar)))
                 for n in sorted(self.remind_before, reverse=True)]
        steps.append(Step(ON_THE_DAY, _morning(due_on)))
        steps.append(Step(OVERDUE, datetime.combine(due_on + timedelta(days=1), time(0), BEIJING)))
        return steps


def shift(day: date, n: int, days: str, calendar: WorkingCalendar | None = None) -> date:
    """``n`` working or calendar days after ``day`` (before it if ``n`` is negative)."""
    if days == "calendar":
        return day + timedelta(days=n)
    calendar = calendar or working_calendar()
    step, counted = (1 if n >= 0 else -1), 0
    while counted < abs(n):
        day += timedelta(days=step)
        counted += calendar.is_working_day(day)
    return day


def _morning(day: date) -> datetime:
    return datetime.combine(day, REMIND_AT, BEIJING)


@dataclass(frozen=True)
class DeadlineRules:
    """One version of the rules."""

    version: str
    rules: dict[str, DeadlineRule]

    @classmethod
    def from_data(cls, data: dict) -> "DeadlineRules":
        rules = {}
        for task, entry in data["rules"].items():
            remind = entry["remind_before"]
            if remind["days"] not in ("working", "calendar"):
                raise ValueError(f"{task}: days are working or calendar, not {remind['days']}")
            if any(n <= 0 for n in remind["at"]):
                raise ValueError(f"{task}: a reminder before the due day is 1 day or more before it")
            rules[task] = DeadlineRule(task, entry["what"], dict(entry["due"]),
                                       tuple(remind["at"]), remind["days"])
        return cls(str(data["version"]), rules)

    def __getitem__(self, task: str) -> DeadlineRule:
        return self.rules[task]


@lru_cache(maxsize=1)
def deadline_rules() -> DeadlineRules:
    """The rules in force (the data file's version)."""
    return DeadlineRules.from_data(yaml.safe_load(DATA.read_text(encoding="utf-8")))
