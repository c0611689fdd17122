"""What the registry publishes: its domain events translated into contract events.

Only these reach the broker. Drafts and approvals stay internal (their result is
published when the plan is filed); a plan submitted for approval and the returns of a
plan or declaration are published, so that approvers and the applicant are told.
Documents stay in the registry's log (their records) and store (their bytes).
"""

from services.backbone.deadlines.reminders import Reminder
from services.backbone.deadlines.rules import OVERDUE
from services.backbone.eventstore.application import Publications
from services.backbone.eventstore.revocations import Revocation

from .domain import Base

publications = Publications()


@publications.maps(Base.Declared)
def base_declared(event: Base.Declared) -> tuple[str, dict]:
    return "BaseDeclared", {
        "base_id": event.originator_id,
        "name": event.name,
        "kind": event.kind,
        "region": event.region,
        "competent_department": event.competent_department,
        "batch_id": event.batch_id,
        "contacts": event.contacts,
    }


@publications.maps(Base.PlanFiled)
def plan_filed(event: Base.PlanFiled) -> tuple[str, dict]:
    return "PlanFiled", {
        "base_id": event.originator_id,
        "plan_version": event.version,
        "kind": event.kind,
        "tasks": event.tasks,
        "targets": event.targets,
        "approvals": event.approvals,
    }


@publications.maps(Revocation.Revoked)
def token_revoked(event: Revocation.Revoked) -> tuple[str, dict]:
    return "TokenRevoked", {"jti": event.jti, "expires_at": event.expires_at, "reason": event.reason}


@publications.maps(Base.PlanSubmitted)
def plan_submitted(event: Base.PlanSubmitted) -> tuple[str, dict]:
    return "PlanSubmitted", {"base_id": event.originator_id, "plan_version": event.version,
                             "awaiting": event.awaiting}


@publications.maps(Base.PlanReturned)
def plan_returned(event: Base.PlanReturned) -> tuple[str, dict]:
    return "PlanReturned", {"base_id": event.originator_id, "plan_version": event.version,
                            "returned_by": event.capacity, "comments": event.comments,
                            "returned_at": event.returned_at}


@publications.maps(Base.DeclarationReturned)
def declaration_returned(event: Base.DeclarationReturned) -> tuple[str, dict]:
    return "DeclarationReturned", {"base_id": event.originator_id,
                                   "batch_id": event.batch_id, "comments": event.comments}


@publications.maps(Base.DeclarationResubmitted)
def declaration_resubmitted(event: Base.DeclarationResubmitted) -> tuple[str, dict]:
    return "DeclarationResubmitted", {"base_id": event.originator_id,
                                      "batch_id": event.batch_id, "note": event.note}


@publications.maps(Reminder.Sent)
def reminder_sent(event: Reminder.Sent) -> tuple[str, dict]:
    """Steps before and on the due day are reminders; the step after it, the overdue marker."""
    payload = {"base_id": event.base_id, "task": event.task, "subject": event.subject,
               "due_on": event.due_on, "concerned": event.concerned}
    if event.step == OVERDUE:
        return "Overdue", payload
    return "ReminderDue", {**payload, "step": event.step}
