"""What the registry publishes: its domain events translated into contract events.

Only these reach the broker; drafts and approvals stay internal (their result is
published when the plan is filed).
"""

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
