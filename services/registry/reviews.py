"""Who may send a base's plan or declaration back, and who may attach a document to
what: the rules of review beside the ``Base`` aggregate. Pure."""

from services.backbone.kernel.context import Actor
from services.backbone.kernel.errors import BadRequest, Forbidden, RuleViolation, field_error

ATTACHABLE = ("declaration", "plan", "approval")


def check_may_return(base, actor: Actor) -> None:
    """A plan is returned by one of its approvers (in their scope) or by the DRC."""
    if actor.role != "drc":
        base._check_approver(actor)


def check_awaits_filing(base, plan: dict) -> None:
    """The DRC returns a plan at filing: once both approvers have approved it."""
    missing = [role for role in ("county_government", "competent_department")
               if role not in plan["approvals"]]
    if missing:
        raise RuleViolation(f"The DRC returns a plan at filing; version {plan['version']} "
                            f"still waits for: {', '.join(missing)}.", fields={"approvals": missing})


def check_not_returned(plan: dict) -> None:
    """A returned version is closed: it is revised as a new version, approved anew."""
    returned = plan.get("returned")
    if returned:
        raise field_error("version", f"version {plan['version']} was returned for revision by "
                                     f"the {returned['role']} ({returned['name']}); the revised "
                                     "version is approved and filed instead")


def check_declaration_open(base, batch_open: bool) -> None:
    """A declaration is returned and completed while undecided and its batch is open."""
    if base.status != "declared":
        raise RuleViolation(f"The declaration is decided (the base is {base.status}).",
                            fields={"status": [base.status]})
    if not batch_open:
        raise field_error("batch_id", "the declaration's batch no longer accepts declarations")


def check_may_attach(base, attached_to: dict, actor: Actor) -> None:
    """A declaration's documents come from its applicant or the DRC; a plan version's
    (the sealed plan) from its applicant; an approval's (the approval letter) from the
    approver whose approval it is."""
    target = attached_to.get("on")
    if target == "declaration":
        if not (base.is_represented_by(actor) or actor.role == "drc"):
            raise Forbidden("Only the base's applicant or the DRC attaches documents to its declaration.")
        return
    if target not in ATTACHABLE:
        raise field_error("attached_to", f"one of: {', '.join(ATTACHABLE)}")
    plan = _version(base, attached_to.get("version"))
    if target == "plan":
        if not base.is_represented_by(actor):
            raise Forbidden("Only the base's own applicant attaches documents to its plan.")
        return
    base._check_approver(actor)
    if actor.role not in plan["approvals"]:
        raise field_error("version", f"version {plan['version']} has no approval by the "
                                     f"{actor.role} to attach a document to")


def _version(base, version: int | None) -> dict:
    if version is None:
        raise field_error("version", "Missing data for required field.", BadRequest)
    if not 1 <= version <= len(base.plans):
        raise field_error("version", f"the plan has no version {version}")
    return base.plans[version - 1]
