"""The people who sign in to the console: their accounts. Pure, no I/O.

An ``Account`` is one person: a login name, their name and organisation, one role and
the scope that role has (the region of a county government, the department of a
competent department or a department, the bases of an applicant, the evaluator an
evaluator's account is). Every change is an event with its ``Context``, so the log says
who created, changed, disabled whom and when. Passwords arrive here already hashed.
"""

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.backbone.kernel.context import Actor, Context, stable_id
from services.backbone.kernel.errors import BadRequest, RuleViolation, field_error
from services.contracts.vocabulary import CITIES, ROLES

# Which scope each role carries; the others (drc, funding_office, ops, admin) have none.
SCOPED_ROLES = {
    "county_government": "region",
    "competent_department": "department",
    "department": "department",
    "applicant": "base_ids",
    "evaluator": "evaluator_id",
}
PEOPLE_ROLES = tuple(role for role in ROLES if role != "service")  # the platform's own is no person


def normalise_username(username: str) -> str:
    """Login names compare without surrounding spaces and case: 'Zhang.Wei ' is 'zhang.wei'."""
    return str(username or "").strip().lower()


def checked_scope(role: str, scope: dict | None) -> dict:
    """The scope of ``role`` from ``scope``, only what the role has; 400 naming the field
    that is missing or wrong."""
    if role not in PEOPLE_ROLES:
        raise BadRequest("请检查标出的栏目。", fields={"role": ["请选择一个角色。"]})
    scope = scope or {}
    kind = SCOPED_ROLES.get(role)
    if kind is None:
        return {}
    if kind == "region":
        region = scope.get("region") or {}
        city, county = str(region.get("city") or "").strip(), str(region.get("county") or "").strip()
        errors = {}
        if city not in CITIES:
            errors["region.city"] = ["请选择山西省的一个设区市。"]
        if not county:
            errors["region.county"] = ["县级人民政府须填写县（市、区）。"]
        if errors:
            raise BadRequest("请检查标出的栏目。", fields=errors)
        return {"region": {"city": city, "county": county}}
    if kind == "department":
        department = str(scope.get("department") or "").strip()
        if not department:
            raise BadRequest("请检查标出的栏目。", fields={"department": ["此角色须填写所属部门。"]})
        return {"department": department}
    if kind == "base_ids":
        return {"base_ids": sorted({str(_uuid(b, "base_ids")) for b in scope.get("base_ids") or ()})}
    return {"evaluator_id": str(_uuid(scope.get("evaluator_id"), "evaluator_id"))}


def _uuid(value: Any, field: str) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise BadRequest("请检查标出的栏目。", fields={field: ["不是有效的编号（UUID）。"]}) from None


class Account(Aggregate):
    """A person who signs in: who they are, what they may do, and whether they still may."""

    @staticmethod
    def create_id(username: str, **_: Any) -> UUID:
        """One account per login name: a second one collides with the first in the store."""
        return stable_id("console-account", normalise_username(username))

    class Created(Aggregate.Created):
        username: str
        name: str
        organisation: str
        role: str
        scope: dict
        password_hash: str
        ctx: Context

    @event(Created)
    def __init__(self, username: str, name: str, organisation: str, role: str, scope: dict,
                 password_hash: str, ctx: Context):
        self.username = normalise_username(username)
        self.name = name
        self.organisation = organisation
        self.role = role
        self.scope = scope
        self.password_hash = password_hash
        self.must_change_password = True  # the first password is a one-time one
        self.enabled = True

    @property
    def actor_id(self) -> UUID:
        """Who the services see: an evaluator's account is its evaluator (the id its
        assignments name); everyone else is their account."""
        if self.role == "evaluator":
            return UUID(self.scope["evaluator_id"])
        return self.id

    @property
    def state(self) -> str:
        if not self.enabled:
            return "disabled"
        return "must_change_password" if self.must_change_password else "active"

    def as_actor(self) -> Actor:
        """The account as the services' tokens name it, with its role's scope."""
        region = self.scope.get("region")
        return Actor(
            id=self.actor_id, role=self.role, name=self.name,
            region=(region["city"], region["county"]) if region else None,
            org=self.scope.get("department"),
            base_ids=tuple(UUID(b) for b in self.scope.get("base_ids", ())),
        )

    def change(self, *, name: str, organisation: str, role: str, scope: dict, ctx: Context) -> bool:
        """New name, organisation, role or scope; False (nothing recorded) if none differs."""
        scope = checked_scope(role, scope)
        if (name, organisation, role, scope) == (self.name, self.organisation, self.role, self.scope):
            return False
        self._changed(name=name, organisation=organisation, role=role, scope=scope, ctx=ctx)
        return True

    @event("Changed")
    def _changed(self, name: str, organisation: str, role: str, scope: dict, ctx: Context) -> None:
        self.name, self.organisation, self.role, self.scope = name, organisation, role, scope

    @event("PasswordChanged")
    def change_password(self, password_hash: str, ctx: Context) -> None:
        """The person set a password of their own."""
        self.password_hash = password_hash
        self.must_change_password = False

    def reset_password(self, *, password_hash: str, ctx: Context) -> None:
        """An administrator gave a one-time password, to be changed at the next sign-in."""
        if not self.enabled:
            raise RuleViolation("已停用的账户不能重置密码，请先启用。")
        self._password_reset(password_hash=password_hash, ctx=ctx)

    @event("PasswordReset")
    def _password_reset(self, password_hash: str, ctx: Context) -> None:
        self.password_hash = password_hash
        self.must_change_password = True

    def disable(self, *, reason: str, by: UUID, ctx: Context) -> bool:
        """No more sign-ins; False if it was disabled already. Nobody disables the
        account they are signed in with (the last administrator would lock everyone out)."""
        if by == self.id:
            raise field_error("account", "不能停用自己正在使用的账户。")
        if not self.enabled:
            return False
        self._disabled(reason=reason, ctx=ctx)
        return True

    @event("Disabled")
    def _disabled(self, reason: str, ctx: Context) -> None:
        self.enabled = False

    def enable(self, *, ctx: Context) -> bool:
        if self.enabled:
            return False
        self._enabled(ctx=ctx)
        return True

    @event("Enabled")
    def _enabled(self, ctx: Context) -> None:
        self.enabled = True
