"""The console's read model: the accounts as the administrators' list shows them."""

from uuid import UUID

from services.backbone.eventstore.views import View

from .domain import Account


class AccountDirectory(View):
    """A row per account, folded from the accounts' events."""

    def __init__(self):
        self.rows: dict[UUID, dict] = {}

    def reset(self):
        self.rows = {}

    def apply(self, event):
        if isinstance(event, Account.Created):
            self.rows[event.originator_id] = {
                "account_id": event.originator_id, "username": event.username, "name": event.name,
                "organisation": event.organisation, "role": event.role, "scope": event.scope,
                "enabled": True, "must_change_password": True, "created_at": event.timestamp,
                "created_by": event.ctx.name, "updated_at": event.timestamp,
            }
            return
        row = self.rows.get(event.originator_id)
        if row is None:
            return
        name = type(event).__name__
        if name == "Changed":
            row.update(name=event.name, organisation=event.organisation, role=event.role,
                       scope=event.scope)
        elif name in ("PasswordChanged", "PasswordReset"):
            row["must_change_password"] = name == "PasswordReset"
        elif name in ("Disabled", "Enabled"):
            row["enabled"] = name == "Enabled"
        row["updated_at"] = event.timestamp

    @staticmethod
    def state_of(row: dict) -> str:
        """As ``Account.state``: disabled, must change its password, or active."""
        if not row["enabled"]:
            return "disabled"
        return "must_change_password" if row["must_change_password"] else "active"

    def select(self, *, role: str | None = None, state: str | None = None) -> list[dict]:
        rows = [{**row, "state": self.state_of(row)} for row in self.rows.values()]
        rows = [row for row in rows
                if (role is None or row["role"] == role) and (state is None or row["state"] == state)]
        return sorted(rows, key=lambda row: (row["role"], row["username"]))
