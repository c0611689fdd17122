"""The registry's deadlines (issue 27 §2): a submitted plan version is to be approved
within the rule's working days; a warned base rectifies by its warning's date; a base
in good standing reports its year by 31 March after it. The registry sets them because
it keeps every base's record and hears evaluation's decisions and reports.

An application mixin of ``RegistryApplication``; rules in ``backbone/deadlines/rules.yaml``.
"""

import logging
from datetime import date, datetime
from uuid import UUID

from services.backbone.calendar.workdays import BEIJING, NoCalendar
from services.backbone.deadlines.reminders import Reminders
from services.backbone.deadlines.rules import deadline_rules
from services.backbone.kernel.context import Context
from services.contracts.reminders import DEADLINE_TASKS
from services.contracts.reviews import APPROVERS
from services.contracts.vocabulary import ACTIVE_STATUSES

from .domain import Base

log = logging.getLogger(__name__)


def plan_subject(base_id: UUID, version: int) -> str:
    return f"{base_id}:v{version}"


class RegistryDeadlines(Reminders):
    """Mixin: sets and meets the registry's deadlines; says who a reminder concerns."""

    def today(self) -> date:
        return self.clock().astimezone(BEIJING).date()

    def _reminders(self, task: str, subject: str, base_id: UUID, ctx: Context, *,
                   start: date | None = None, given: date | None = None) -> list:
        """The steps of a task, or none when its period reaches a year the working-day
        calendar does not know: the task itself must not wait for the holidays' notice."""
        try:
            due_on = deadline_rules()[task].due_on(start, given=given)
            return self.set_reminders(task=task, subject=subject, base_id=base_id,
                                      due_on=due_on, ctx=ctx)
        except NoCalendar as missing:
            log.warning("no reminders for %s %s: %s", task, subject, missing)
            return []

    def plan_deadlines(self, base: Base, ctx: Context) -> list:
        """After a submission: the earlier version's reminders cancelled, the new one's set."""
        version = base.plan["version"]
        changed = []
        if version > 1:
            changed += self.meet(task="approve_plan", subject=plan_subject(base.id, version - 1),
                                 reason="a new version was submitted", ctx=ctx)
        return changed + self._reminders("approve_plan", plan_subject(base.id, version), base.id,
                                         ctx, start=self.today())

    def plan_reviewed(self, base: Base, ctx: Context) -> list:
        """After an approval or a return: met once both approved, or once returned."""
        plan = base.plan
        if plan["returned"] is None and not all(c in plan["approvals"] for c in APPROVERS):
            return []
        return self.meet(task="approve_plan", subject=plan_subject(base.id, plan["version"]),
                         reason="reviewed", ctx=ctx)

    def decision_deadlines(self, base: Base, payload: dict, ctx: Context) -> list:
        """After a decision: a warning's rectification set; a later decision meets it; a
        base in good standing reports the year the decision takes effect in."""
        changed = []
        if payload["from_status"] == "warned" or payload["status_after"] != "warned":
            changed += self.meet(task="rectification", subject=str(base.id),
                                 reason=f"decided {payload['status_after']}", ctx=ctx)
        deadline = payload.get("rectification_deadline")
        if payload["status_after"] == "warned" and deadline is not None:
            given = _beijing_day(deadline)
            changed += self._reminders("rectification", f"{base.id}:{given.isoformat()}", base.id,
                                       ctx, given=given)
        if payload["status_after"] in ACTIVE_STATUSES and payload["status_after"] != "warned":
            year = _beijing_day(payload.get("effective_on") or self.clock()).year
            changed += self._reminders("annual_report", f"{base.id}:{year}", base.id, ctx,
                                       start=date(year, 1, 1))
        return changed

    def report_deadlines(self, base: Base, year: int, ctx: Context) -> list:
        """A year reported: its reminders cancelled, the next year's set."""
        changed = self.meet(task="annual_report", subject=f"{base.id}:{year}",
                            reason="reported", ctx=ctx)
        if base.status in ACTIVE_STATUSES:
            changed += self._reminders("annual_report", f"{base.id}:{year + 1}", base.id, ctx,
                                       start=date(year + 1, 1, 1))
        return changed

    def reminder_concerned(self, task: str, base_id: UUID, subject: str) -> list[dict]:
        """Who is still to act when a step comes: the approvers who have not decided on
        the version; the base itself for its rectification and its report."""
        base = self.get_base(base_id)
        if task == "approve_plan":
            plan = base.plan
            if plan is None or plan_subject(base.id, plan["version"]) != subject or plan["returned"]:
                return []
            units = {"county_government": f"{base.region['city']}{base.region['county']}",
                     "competent_department": base.competent_department}
            return [{"role": role, "unit": units[role]} for role in APPROVERS
                    if role not in plan["approvals"]]
        if task == "rectification" and base.status != "warned":
            return []
        if base.status not in ACTIVE_STATUSES:
            return []
        return [{"role": "applicant", "unit": base.name}]


def _beijing_day(value) -> date:
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        return value.astimezone(BEIJING).date()
    return value


def due_marked(items: list[dict], rows: dict, book) -> list[dict]:
    """待办 items of plans to approve, with their due day and the overdue marker (also
    in ``detail``, which the console shows as it is)."""
    for item in items:
        row = rows.get(item["base_id"])
        if item["task"] != "approve_plan" or row is None or row["plan_version"] is None:
            continue
        due = book.of("approve_plan", plan_subject(item["base_id"], row["plan_version"]))
        if due is not None:
            item["due_on"], item["overdue"] = due["due_on"], due["overdue"]
            item["detail"] = (f"已逾期（应于 {due['due_on']} 前审议）" if due["overdue"]
                              else f"请于 {due['due_on']} 前审议")
    return items


def reminded_items(book, rows: dict, actor) -> list[dict]:
    """待办 items of deadlines, with their due day: an applicant's reports and
    rectifications once reminded of, until met; for the DRC, who supervises, every
    task overdue (the dashboard lists them)."""
    if actor.role == "applicant":
        entries = [e for e in book.reminded(("annual_report", "rectification"))
                   if actor.speaks_for(e["base_id"])]
    elif actor.role == "drc":
        entries = [e for e in book.reminded(DEADLINE_TASKS) if e["overdue"]]
    else:
        return []
    items = []
    for entry in entries:
        row = rows.get(entry["base_id"])
        if row is None:
            continue
        late = "已逾期，" if entry["overdue"] else ""
        items.append({"task": entry["task"], "base_id": entry["base_id"], "base_name": row["name"],
                      "since": entry["reminded_at"], "status": row["status"],
                      "due_on": entry["due_on"], "overdue": entry["overdue"],
                      "detail": f"{late}期限 {entry['due_on']}", "link": f"/bases/{entry['base_id']}"})
    return items
