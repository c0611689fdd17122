"""How long a unit whose base was revoked waits before it may declare again: versioned
policy data (``policies/redeclaration-*.yaml``), like evaluation's adjustment policies.

The version applied to a declaration is the latest in force on its day, so a declaration
is judged by the rule of its time and a new rule needs a new file, not an edit.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path

import yaml

POLICIES = Path(__file__).with_name("policies")


@dataclass(frozen=True)
class RedeclarationPolicy:
    version: str
    title: str
    in_force_from: date
    revoked_wait: timedelta

    def may_declare_again(self, revoked_at: datetime, moment: datetime) -> datetime | None:
        """None if a unit revoked at ``revoked_at`` may declare at ``moment``; otherwise
        the moment from which it may."""
        allowed_from = revoked_at + self.revoked_wait
        return None if moment >= allowed_from else allowed_from


@cache
def policies() -> tuple[RedeclarationPolicy, ...]:
    """Every version, oldest first."""
    loaded = []
    for path in sorted(POLICIES.glob("redeclaration-*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        loaded.append(RedeclarationPolicy(
            version=data["version"], title=data["title"], in_force_from=data["in_force_from"],
            revoked_wait=timedelta(days=int(data["revoked_wait_days"]))))
    return tuple(sorted(loaded, key=lambda policy: policy.in_force_from))


def policy_in_force(moment: datetime) -> RedeclarationPolicy | None:
    """The version in force on ``moment``'s day (None before the first: no wait)."""
    in_force = [p for p in policies() if p.in_force_from <= moment.date()]
    return in_force[-1] if in_force else None
