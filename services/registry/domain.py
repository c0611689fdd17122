"""Bases and their construction plans: the registry's aggregates. Pure, no I/O.

A ``Base`` is declared in a batch; its status of record follows the decisions the
evaluation service takes (recorded here as they arrive); once certified, its
construction plan must be approved by the county government of its region AND by its
competent department before it can be filed with the DRC (备案). A revised plan is a
new version and needs both approvals again.

Each public method checks its rule, then records one event through a private
``@event`` method, whose body is the state change only (it also runs on replay).
"""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Iterable
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.backbone.kernel.documents import attached_before
from services.backbone.kernel.context import Actor, Context, stable_id
from services.backbone.kernel.errors import Conflict, Forbidden, PlanChanged, RuleViolation, field_error
from services.backbone.kernel.privacy import may_see_contacts
from services.contracts.common import check_tasks_cover_kind
from services.contracts.text import comparison_key
from services.contracts.vocabulary import ACTIVE_STATUSES, STATUSES

from .redeclaration import policy_in_force
from .reviews import (check_awaits_filing, check_declaration_open, check_may_attach,
                      check_may_return, check_not_returned)

APPROVING_ROLES = ("county_government", "competent_department")
CLOSED_STATUSES = ("not_selected", "revoked")


def normalize_name(name: str) -> str:
    """The form of a name a base's id is derived from (with its batch): without
    surrounding or doubled spaces, full-width brackets read as ASCII. Ids derived so
    are in tokens and logs and never change; whether a name is taken is decided by
    ``comparison_key`` instead."""
    table = str.maketrans({"（": "(", "）": ")"})
    return " ".join(name.translate(table).split())


def check_declares_for_itself(actor: Actor, name: str) -> None:
    """An applicant declares only in the name of its own organisation, the one its
    token names; the DRC may declare for any unit (then reassign the declaration to
    the unit's applicant). Otherwise one unit could take another's name first."""
    if actor.role != "applicant":
        return
    if not actor.org:
        raise Forbidden("An applicant's token must name its organisation (org) to declare.")
    if comparison_key(actor.org) != comparison_key(name):
        raise Forbidden(f"An applicant declares only in the name of its own organisation "
                        f"({actor.org}), not {name}.")


@dataclass(frozen=True)
class EarlierDeclaration:
    """A declaration of the same unit (by comparison key), as the rule below needs it."""

    batch_id: UUID
    batch_name: str
    status: str
    status_since: datetime | None = None  # when the status was recorded


def check_not_declared_elsewhere(name: str, batch_id: UUID,
                                 earlier: Iterable[EarlierDeclaration],
                                 moment: datetime | None = None) -> None:
    """One declaration per unit per batch; and a unit that is a demonstration base
    already (certified, retained, warned, recommended) or whose declaration in another
    batch is still undecided does not declare again: it would be selected and certified
    twice, as two bases. Not selected, it may try again in a later batch; revoked, only
    once the wait of the redeclaration policy in force at ``moment`` is over."""
    for declaration in earlier:
        if moment is not None and declaration.status == "revoked":
            check_revocation_waited(name, declaration, moment)
        if declaration.batch_id == batch_id:
            raise field_error("name", f"{name} is already declared in batch "
                                      f"{declaration.batch_name}", Conflict)
        if declaration.status in ("declared",) + ACTIVE_STATUSES:
            state = ("its declaration there is not decided yet" if declaration.status == "declared"
                     else f"it is a demonstration base ({declaration.status})")
            raise field_error("name", f"{name} was declared in batch {declaration.batch_name} "
                                      f"and {state}", Conflict)


def check_revocation_waited(name: str, revoked: EarlierDeclaration, moment: datetime) -> None:
    policy = policy_in_force(moment)
    if policy is None or revoked.status_since is None:
        return
    allowed_from = policy.may_declare_again(revoked.status_since, moment)
    if allowed_from is not None:
        raise field_error("name", f"{name} was revoked on {revoked.status_since.date().isoformat()} "
                                  f"(batch {revoked.batch_name}) and may not declare again before "
                                  f"{allowed_from.date().isoformat()} ({policy.title}, {policy.version})")


class Base(Aggregate):
    """A declared base (申报单位) and, once certified, a provincial demonstration base."""

    @staticmethod
    def create_id(name: str, batch_id: UUID, **_: Any) -> UUID:
        """One declaration per name per batch: the id is derived from both, so a second
        declaration collides with the first in the store, even when they race."""
        return stable_id("base", batch_id, normalize_name(name))

    class Declared(Aggregate.Created):
        """Version 2 lists ``contacts`` (one primary, deputies); version 1, recorded
        before 2018, had one ``contact`` and is read as that contact being primary."""

        name: str
        kind: str
        region: dict
        competent_department: str
        batch_id: UUID
        contacts: list
        declared_by: UUID
        ctx: Context
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict) -> None:
            state["contacts"] = [{**state.pop("contact"), "role": "primary"}]

    @event(Declared)
    def __init__(self, name: str, kind: str, region: dict, competent_department: str,
                 batch_id: UUID, contacts: list, declared_by: UUID, ctx: Context):
        self.name = name
        self.kind = kind
        self.region = region
        self.competent_department = competent_department
        self.batch_id = batch_id
        self.contacts = contacts
        self.declared_by = declared_by
        self.status = "declared"
        self.adjustments: list[dict] = []
        self.plans: list[dict] = []
        self.filed_version: int | None = None
        self.documents: list[dict] = []
        self.declaration_returns: list[dict] = []  # 退回补正, each with its resubmission

    # -- who may act for this base ---------------------------------------------------------

    def is_represented_by(self, actor: Actor) -> bool:
        """The applicant that declared the base (or the one the DRC handed it to), or
        one whose token names the base."""
        return actor.represents(self.id, self.declared_by)

    def reassign(self, *, applicant_id: UUID, reason: str, actor: Actor, ctx: Context) -> None:
        """The DRC hands the declaration to the applicant that answers for the unit (it
        declared on the unit's behalf, or another unit had declared in its name)."""
        if actor.role != "drc":
            raise Forbidden("Only the DRC reassigns a declaration.")
        if applicant_id == self.declared_by:
            raise field_error("applicant_id", "the declaration is already that applicant's",
                              Conflict)
        self._reassigned(from_applicant=self.declared_by, to_applicant=applicant_id,
                         reason=reason, ctx=ctx)

    @event("Reassigned")
    def _reassigned(self, from_applicant: UUID, to_applicant: UUID, reason: str,
                    ctx: Context) -> None:
        self.declared_by = to_applicant

    # -- status of record --------------------------------------------------------------------

    def record_adjustment(self, *, from_status: str, to_status: str, reason: str,
                          basis: str, decision: dict, ctx: Context) -> None:
        """Records a decision of the evaluation service. The decision is authoritative;
        a from_status that differs from ours is kept in the record for audit."""
        if to_status not in STATUSES:
            raise field_error("to_status", f"unknown status {to_status!r}")
        self._status_recorded(from_status=from_status, to_status=to_status, reason=reason,
                              basis=basis, decision=decision, ctx=ctx)

    @event("StatusRecorded")
    def _status_recorded(self, from_status: str, to_status: str, reason: str, basis: str,
                         decision: dict, ctx: Context) -> None:
        self.adjustments.append({"from": self.status, "to": to_status, "reason": reason,
                                 "basis": basis, "decision": decision})
        self.status = to_status

    # -- national standing, apart from the status of record (see registry/national.py) -------

    national: dict | None = None  # bases recorded before national calls have none

    def record_national(self, *, status: str, call_id: UUID | None, document_number: str | None,
                        effective_on: date | None, ctx: Context) -> None:
        self._national_recorded(status=status, call_id=call_id, document_number=document_number,
                                effective_on=effective_on, ctx=ctx)

    @event("NationalRecorded")
    def _national_recorded(self, status: str, call_id: UUID | None, document_number: str | None,
                           effective_on: date | None, ctx: Context) -> None:
        self.national = {"status": status, "call_id": call_id, "document_number": document_number,
                         "effective_on": effective_on}

    def shows_contacts_to(self, actor: Actor) -> bool:
        """Contact persons are personal information (``backbone.privacy``)."""
        return may_see_contacts(actor, base_id=self.id, region=self.region,
                                competent_department=self.competent_department,
                                declared_by=self.declared_by)

    # -- construction plan -------------------------------------------------------------------

    @property
    def plan(self) -> dict | None:
        """The latest version of the construction plan, if any."""
        return self.plans[-1] if self.plans else None

    def draft_plan(self, *, tasks: list[dict], targets: list[dict], actor: Actor,
                   ctx: Context) -> int:
        """Drafts the plan, or revises it (a new version, which needs approval again)."""
        if not self.is_represented_by(actor):
            raise Forbidden("Only the base's own applicant drafts its construction plan.")
        if self.status in CLOSED_STATUSES:
            raise RuleViolation(f"The base is {self.status}; it has no construction plan.")
        try:
            check_tasks_cover_kind(self.kind, tasks)
        except Exception as error:
            raise RuleViolation("The plan must cover the construction tasks of its kind.",
                                fields={"tasks": getattr(error, "messages", [str(error)])}) from None
        version = len(self.plans) + 1
        self._plan_drafted(version=version, tasks=tasks, targets=targets, ctx=ctx)
        self._plan_submitted(version=version, awaiting=list(APPROVING_ROLES), ctx=ctx)
        return version

    @event("PlanDrafted")
    def _plan_drafted(self, version: int, tasks: list[dict], targets: list[dict],
                      ctx: Context) -> None:
        self.plans.append({"version": version, "tasks": tasks, "targets": targets,
                           "approvals": {}, "returned": None})

    @event("PlanSubmitted")
    def _plan_submitted(self, version: int, awaiting: list[str], ctx: Context) -> None:
        pass  # the version waits for its approvers (published: they are told)

    def return_plan(self, *, version: int, comments: str, actor: Actor, returned_at: datetime,
                    ctx: Context) -> None:
        """Sends the current version back for revision with comments (退回修改): its
        county government or competent department instead of approving it, or the DRC
        instead of filing it. The applicant drafts a new version; approvals restart."""
        check_may_return(self, actor)
        plan = self._plan_for_review(version)
        if actor.role == "drc":
            check_awaits_filing(self, plan)
        elif actor.role in plan["approvals"]:
            raise Conflict(f"Version {version} is already approved by the {actor.role}; "
                           "an approval given is not taken back by a return.")
        self._plan_returned(version=version, capacity=actor.role, returner_id=actor.id,
                            returner_name=actor.name, comments=comments,
                            returned_at=returned_at, ctx=ctx)

    @event("PlanReturned")
    def _plan_returned(self, version: int, capacity: str, returner_id: UUID, returner_name: str,
                       comments: str, returned_at: datetime, ctx: Context) -> None:
        self.plans[version - 1]["returned"] = {
            "actor_id": returner_id, "role": capacity, "name": returner_name,
            "comments": comments, "returned_at": returned_at}

    def _plan_for_review(self, version: int) -> dict:
        """The current version, if ``version`` is it and it still awaits review."""
        plan = self.plan
        if plan is None:
            raise RuleViolation("There is no construction plan.")
        if version != plan["version"]:
            raise field_error("version", f"the current plan version is {plan['version']}",
                              PlanChanged)
        check_not_returned(plan)
        if self.filed_version == version:
            raise Conflict(f"Version {version} is already filed.")
        return plan

    def approve_plan(self, *, version: int, actor: Actor, approved_at: datetime,
                     ctx: Context) -> None:
        """Approval (审议通过) by the county government of the base's region, or by its
        competent department, of the current plan version. Who may approve is checked
        first: the plan's state (its version, its approvals) is not told to others."""
        self._check_approver(actor)
        plan = self._plan_for_review(version)
        if actor.role in plan["approvals"]:
            raise Conflict(f"Version {version} is already approved by the {actor.role}.")
        self._plan_approved(version=version, capacity=actor.role, approver_id=actor.id,
                            approver_name=actor.name, approved_at=approved_at, ctx=ctx)

    def _check_approver(self, actor: Actor) -> None:
        if actor.role == "county_government":
            if not actor.governs(self.region):
                raise Forbidden(f"Only the government of {self.region['city']}"
                                f"{self.region['county']} approves this plan.")
        elif actor.role == "competent_department":
            if actor.org != self.competent_department:
                raise Forbidden(f"Only {self.competent_department} approves this plan as "
                                "competent department.")
        else:
            raise Forbidden("Plans are approved by a county government or competent department.")

    @event("PlanApproved")
    def _plan_approved(self, version: int, capacity: str, approver_id: UUID,
                       approver_name: str, approved_at: datetime, ctx: Context) -> None:
        self.plans[version - 1]["approvals"][capacity] = {
            "actor_id": approver_id, "role": capacity, "name": approver_name,
            "approved_at": approved_at,
        }

    def file_plan(self, *, actor: Actor, ctx: Context) -> int:
        """Files (备案) the approved current plan with the DRC."""
        if not (self.is_represented_by(actor) or actor.role == "drc"):
            raise Forbidden("Only the base's applicant or the DRC files its plan.")
        plan = self.plan
        if plan is None:
            raise RuleViolation("There is no construction plan to file.")
        check_not_returned(plan)
        missing = [role for role in APPROVING_ROLES if role not in plan["approvals"]]
        if missing:
            raise RuleViolation(f"Version {plan['version']} still needs the approval of: "
                                f"{', '.join(missing)}.", fields={"approvals": missing})
        if self.status not in ACTIVE_STATUSES:
            raise RuleViolation(f"Only a certified base files its plan; this one is {self.status}.",
                                fields={"status": [self.status]})
        if self.filed_version == plan["version"]:
            raise Conflict(f"Version {plan['version']} is already filed.")
        self._plan_filed(
            version=plan["version"], kind=self.kind, tasks=plan["tasks"],
            targets=plan["targets"],
            approvals=[plan["approvals"][role] for role in APPROVING_ROLES], ctx=ctx,
        )
        return plan["version"]

    @event("PlanFiled")
    def _plan_filed(self, version: int, kind: str, tasks: list[dict], targets: list[dict],
                    approvals: list[dict], ctx: Context) -> None:
        self.filed_version = version

    # -- returned for completion (退回补正) ---------------------------------------------

    @property
    def declaration_returned(self) -> dict | None:
        """The DRC's return of the declaration still waiting for its resubmission."""
        latest = self.declaration_returns[-1] if self.declaration_returns else None
        return latest if latest is not None and latest["resubmitted"] is None else None

    def return_declaration(self, *, comments: str, batch_open: bool, actor: Actor,
                           ctx: Context) -> None:
        """The DRC finds the declaration incomplete before its batch closes and returns
        it for completion; the applicant completes it (documents) and resubmits."""
        if actor.role != "drc":
            raise Forbidden("Only the DRC returns a declaration for completion.")
        check_declaration_open(self, batch_open)
        if self.declaration_returned is not None:
            raise Conflict("The declaration is already returned and not yet resubmitted.")
        self._declaration_returned(batch_id=self.batch_id, comments=comments, ctx=ctx)

    @event("DeclarationReturned")
    def _declaration_returned(self, batch_id: UUID, comments: str, ctx: Context) -> None:
        self.declaration_returns.append({"comments": comments, "returned_by": ctx.name,
                                         "resubmitted": None})

    def resubmit_declaration(self, *, note: str, batch_open: bool, actor: Actor,
                             ctx: Context) -> None:
        """The applicant resubmits its completed declaration, before the batch closes."""
        if not self.is_represented_by(actor):
            raise Forbidden("Only the base's own applicant resubmits its declaration.")
        check_declaration_open(self, batch_open)
        if self.declaration_returned is None:
            raise RuleViolation("The declaration was not returned for completion.")
        self._declaration_resubmitted(batch_id=self.batch_id, note=note, ctx=ctx)

    @event("DeclarationResubmitted")
    def _declaration_resubmitted(self, batch_id: UUID, note: str, ctx: Context) -> None:
        self.declaration_returns[-1]["resubmitted"] = {"note": note, "by": ctx.name}

    # -- documents -------------------------------------------------------------------

    def attach_document(self, *, attached_to: dict, document: dict, actor: Actor,
                        ctx: Context) -> dict:
        """Attaches a document kept in the document store (``document``: its record,
        ``kernel.documents``) to the declaration, a plan version or an approval, by
        whoever answers for that thing. The same document again is answered with the
        first record."""
        check_may_attach(self, attached_to, actor)
        earlier = attached_before(self.documents, document)
        if earlier is not None:
            return earlier
        self._document_attached(document=document, ctx=ctx)
        return document

    @event("DocumentAttached")
    def _document_attached(self, document: dict, ctx: Context) -> None:
        self.documents.append(document)

    def shows_documents_to(self, actor: Actor) -> bool:
        """Documents are seen by those who work with the base (as its contacts are), and
        by the departments and evaluators who review declarations and plans."""
        return self.shows_contacts_to(actor) or actor.role in ("department", "evaluator")


class DeclaringUnit(Aggregate):
    """A unit that declares (申报单位), by its name's comparison key, and the bases it
    has declared, oldest first.

    It is where two declarations of one unit meet: each records its base here, in the
    transaction that creates the base, so of two at the same instant (in two batches
    open together, or through two registry instances, or as 'ABC' and 'abc') one
    commits and the other collides with it, is checked again against what is now
    committed, and is refused. The read model that the check reads cannot see a
    declaration not yet committed. A unit recorded before names were compared by key
    has an id derived otherwise; the directory finds it by key (``BaseDirectory.unit``)."""

    @staticmethod
    def create_id(name: str, **_: Any) -> UUID:
        return stable_id("declaring-unit-key", comparison_key(name))

    @event("FirstDeclared")
    def __init__(self, name: str, declaration: UUID, ctx: Context):
        self.name = normalize_name(name)
        self.declarations = [declaration]

    @event("DeclaredAgain")
    def declared_again(self, declaration: UUID, ctx: Context) -> None:
        self.declarations.append(declaration)


class DeclarationBatch(Aggregate):
    """The registry's record of a declaration batch the DRC opened (in evaluation):
    declarations are accepted while it is open and within its window."""

    @staticmethod
    def create_id(batch_id: UUID, **_: Any) -> UUID:
        return batch_id

    @event("Opened")
    def __init__(self, batch_id: UUID, name: str, opens_at: datetime, closes_at: datetime,
                 quota: int, ctx: Context):
        self.name = name
        self.opens_at = opens_at
        self.closes_at = closes_at
        self.quota = quota
        self.closed = False

    @event("Closed")
    def close(self, ctx: Context) -> None:
        self.closed = True

    def accepts_declarations_at(self, moment: datetime) -> bool:
        return self.admits(closed=self.closed, opens_at=self.opens_at,
                           closes_at=self.closes_at, moment=moment)

    @staticmethod
    def admits(*, closed: bool, opens_at: datetime, closes_at: datetime, moment: datetime) -> bool:
        """The rule, for the batch or for a read model's row of it."""
        return not closed and opens_at <= moment <= closes_at
