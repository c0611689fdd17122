"""Reminders of deadlines (issue 27 §2), published by the registry, which keeps every
base's record and hears of the other services' steps: before a task's due day, on it,
and the overdue marker the day after. Notifications delivers them; 待办 shows the task."""

from marshmallow import fields, validate

from .catalog import contract
from .common import Strict
from .vocabulary import ROLES

DEADLINE_TASKS = ("approve_plan", "annual_report", "rectification")


class Concerned(Strict):
    """Who is to act: a role, and the unit that holds it (a county, a department, the base)."""

    role = fields.String(required=True, validate=validate.OneOf(tuple(ROLES)))
    unit = fields.String(required=True, validate=validate.Length(min=1, max=200))


class _Deadline(Strict):
    base_id = fields.UUID(required=True)
    task = fields.String(required=True, validate=validate.OneOf(DEADLINE_TASKS))
    subject = fields.String(required=True, validate=validate.Length(min=1, max=200))
    due_on = fields.Date(required=True)
    concerned = fields.List(fields.Nested(Concerned), required=True, validate=validate.Length(min=1))


@contract("ReminderDue", source="registry", version=1, example={
    "base_id": "3a6f6f0e-2b8e-5b43-9d0a-6c1f1d2e9b01",
    "task": "approve_plan",
    "subject": "3a6f6f0e-2b8e-5b43-9d0a-6c1f1d2e9b01:v1",
    "step": "before-5",
    "due_on": "2017-11-07",
    "concerned": [{"role": "county_government", "unit": "太原市万柏林区"},
                  {"role": "competent_department", "unit": "山西省教育厅"}],
})
class ReminderDueV1(_Deadline):
    """A task of a base falls due on ``due_on`` (Beijing date): ``step`` ``before-N`` is
    sent N days before it (working or calendar days, as the rule of ``task`` says), ``due``
    on the day. ``subject`` names the instance (a plan version, a year, a warning).
    Sent once per step; none once the task is done."""

    step = fields.String(required=True, validate=validate.Regexp(r"^(before-[1-9][0-9]*|due)$"))


@contract("Overdue", source="registry", version=1, example={
    "base_id": "3a6f6f0e-2b8e-5b43-9d0a-6c1f1d2e9b01",
    "task": "rectification",
    "subject": "3a6f6f0e-2b8e-5b43-9d0a-6c1f1d2e9b01:2019-03-31",
    "due_on": "2019-03-31",
    "concerned": [{"role": "applicant", "unit": "山西大学"}],
})
class OverdueV1(_Deadline):
    """A task of a base was not done by the end of ``due_on`` (Beijing time): published
    once, at the start of the next day; 待办 marks the task overdue."""
