"""Reminders on the deadline clock: each step of a deadline rule (before, on the day,
overdue) is a ``Deadline`` whose action records a ``Reminder``; the service publishes
it (ReminderDue, Overdue). The reminder's id comes from the deadline's name, and it is
saved in the deadline's firing commit: a step reminds once, across restarts and
instances. Meeting the task cancels the steps still pending, in the commit that meets it.
"""

from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.backbone.eventstore.deadlines import Deadline, DeadlineClock, DeadlineSchedule
from services.backbone.eventstore.views import View
from services.backbone.kernel.context import Context, stable_id

from .rules import OVERDUE, deadline_rules

ACTION = "remind"


def step_name(task: str, subject: str, step: str) -> str:
    """The deadline's name, hence its id: one per task, subject and step."""
    return f"reminder:{task}:{subject}:{step}"


class Reminder(Aggregate):
    """A reminder sent (or the overdue marker): what, about which base, to whom."""

    @staticmethod
    def create_id(deadline: str, **_: Any) -> UUID:
        return stable_id("reminder", deadline)

    @event("Sent")
    def __init__(self, deadline: str, task: str, step: str, subject: str, base_id: UUID,
                 due_on: date, concerned: list[dict], ctx: Context):
        self.task, self.step, self.due_on = task, step, due_on

    @property
    def overdue(self) -> bool:
        return self.step == OVERDUE


class TaskMet(Aggregate):
    """A task done: 待办 drops it even when every step has fired (nothing to cancel)."""

    @staticmethod
    def create_id(task: str, subject: str, **_: Any) -> UUID:
        return stable_id("task-met", task, subject)

    @event("Met")
    def __init__(self, task: str, subject: str, reason: str, ctx: Context):
        self.task, self.subject = task, subject


class ReminderBook(View):
    """Per task and subject still open: its base, due day, whether a reminder went out
    and whether it is overdue (for 待办). A cancelled step means the task was met."""

    def __init__(self):
        self.reset()

    def reset(self) -> None:
        self.due: dict[tuple[str, str], dict] = {}
        self.keys: dict[UUID, tuple[str, str]] = {}  # deadline id: its task and subject

    def apply(self, domain_event) -> None:
        if isinstance(domain_event, Deadline.Set) and domain_event.action == ACTION:
            args = domain_event.args
            key = (args["task"], args["subject"])
            self.keys[domain_event.originator_id] = key
            self.due.setdefault(key, {"task": args["task"], "base_id": UUID(args["base_id"]),
                                      "due_on": args["due_on"], "reminded_at": None,
                                      "overdue": False})
        elif isinstance(domain_event, Deadline.Cancelled):
            self.due.pop(self.keys.get(domain_event.originator_id), None)
        elif isinstance(domain_event, TaskMet.Met):
            self.due.pop((domain_event.task, domain_event.subject), None)
        elif isinstance(domain_event, Reminder.Sent):
            entry = self.due.get((domain_event.task, domain_event.subject))
            if entry is not None:
                entry["reminded_at"] = entry["reminded_at"] or domain_event.timestamp
                entry["overdue"] = entry["overdue"] or domain_event.step == OVERDUE

    def of(self, task: str, subject: str) -> dict | None:
        return self.due.get((task, subject))

    def open(self, task: str, subject: str) -> list[str]:
        """The open subjects of ``task`` that are ``subject`` or begin with it (a base)."""
        return [s for t, s in self.due if t == task and (s == subject or s.startswith(subject + ":"))]

    def reminded(self, tasks: tuple[str, ...]) -> list[dict]:
        """The open tasks of these kinds someone has been reminded of, by due day."""
        return sorted((e for e in self.due.values() if e["task"] in tasks and e["reminded_at"]),
                      key=lambda e: e["due_on"])


class Reminders(DeadlineClock):
    """Mixin of an application: sets a task's reminders and cancels them when it is met.
    The application lists ``ReminderBook()`` beside ``DeadlineSchedule()`` and answers
    ``reminder_concerned(task, base_id, subject)``: the people or units still concerned
    when a step comes (none: the step fires silently)."""

    deadline_actions = {ACTION: "send_reminder"}

    def set_reminders(self, *, task: str, subject: str, base_id: UUID, due_on: date,
                      ctx: Context) -> list[Deadline]:
        """The deadlines of every step still to come, for the caller to save with what
        starts the task. A step already set (the same task, subject and step) is left, and
        so is one already past: a deadline learnt late (a decision entered years after
        it took effect) is not reminded of all at once."""
        rules, now = deadline_rules(), self.clock()
        deadlines = []
        for step in rules[task].steps(due_on):
            name = step_name(task, subject, step.name)
            if step.at <= now or stable_id("deadline", name) in self.repository:
                continue
            deadlines.append(self.set_deadline(
                name=name, due_at=step.at, action=ACTION,
                args={"task": task, "subject": subject, "step": step.name, "base_id": str(base_id),
                      "due_on": due_on.isoformat(), "rules_version": rules.version}, ctx=ctx))
        return deadlines

    def meet(self, *, task: str, subject: str, reason: str, ctx: Context) -> list[Aggregate]:
        """The task is done (``subject``, or every subject of a base): its pending steps
        cancelled and the task marked met, for the caller to save."""
        prefix = step_name(task, subject, "")
        schedule, book = self.views.caught_up(DeadlineSchedule, ReminderBook)
        changed: list[Aggregate] = []
        for row in list(schedule.pending.values()):
            if row["name"].startswith(prefix):
                deadline = self.repository.get(row["deadline_id"])
                deadline.cancel(reason=reason, ctx=ctx)
                changed.append(deadline)
        for open_subject in book.open(task, subject):
            if TaskMet.create_id(task, open_subject) not in self.repository:
                changed.append(TaskMet(task=task, subject=open_subject, reason=reason, ctx=ctx))
        return changed

    def send_reminder(self, *, task: str, subject: str, step: str, base_id: str, due_on: str,
                      ctx: Context, **_: Any) -> list[Reminder]:
        """The deadline clock's action: a reminder to whoever is still concerned."""
        concerned = self.reminder_concerned(task, UUID(base_id), subject)
        if not concerned:
            return []
        return [Reminder(deadline=step_name(task, subject, step), task=task, step=step,
                         subject=subject, base_id=UUID(base_id), due_on=date.fromisoformat(due_on),
                         concerned=concerned, ctx=ctx)]

    def reminder_concerned(self, task: str, base_id: UUID, subject: str) -> list[dict]:
        raise NotImplementedError
