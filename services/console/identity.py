"""Who a person is (an identity provider), and the token the services see them by.

The console signs people in through an ``IdentityProvider``: today the password one
(``PasswordSignIn``); the province's OpenID Connect provider would be another
(docs/console.md says how). Either way it only says who the person is; their account
here says what they may do, so a disabled account or a changed role holds at once.
"""

from abc import ABC, abstractmethod
from datetime import timedelta
from typing import Callable, Mapping

from services.backbone.web.tokens import issue_token
from services.contracts.signing import Signer

from .domain import Account, normalise_username
from .passwords import hash_password, matches

# A hash to check a password against when the login name is unknown, so that an
# unknown name takes as long to refuse as a wrong password (no guessing names by time).
_NOBODY = hash_password("no account has this password")


class IdentityProvider(ABC):
    """Says which account a person signing in is, from what they presented."""

    key: str  # in the sign-in form and in the log: "password", "oidc"...
    #: Whether failures count towards the console's lock-out (a provider that locks
    #: people out itself, as an OpenID Connect one does, says False).
    counts_failures: bool = True

    @abstractmethod
    def claimed_username(self, credentials: Mapping[str, str]) -> str:
        """The login name the credentials claim (for counting failures against it)."""

    @abstractmethod
    def identify(self, credentials: Mapping[str, str]) -> Account | None:
        """The account the credentials prove, or None if they prove none."""


class PasswordSignIn(IdentityProvider):
    """Login name and password, checked against the account's argon2id hash."""

    key = "password"

    def __init__(self, find_account: Callable[[str], Account | None]):
        self.find_account = find_account

    def claimed_username(self, credentials: Mapping[str, str]) -> str:
        return normalise_username(credentials.get("username", ""))

    def identify(self, credentials: Mapping[str, str]) -> Account | None:
        account = self.find_account(self.claimed_username(credentials))
        password = str(credentials.get("password") or "")
        if account is None:
            matches(_NOBODY, password)
            return None
        return account if matches(account.password_hash, password) else None


def service_token(account: Account, signer: Signer, ttl: timedelta) -> str:
    """The short-lived token a page's call to a service carries for this person: their
    role and scope as the account has them now, signed with the console's own key
    (issuer ``console``). The one place the console mints tokens."""
    actor = account.as_actor()
    return issue_token(signer, role=actor.role, name=actor.name, actor_id=actor.id,
                       region=actor.region, org=actor.org, base_ids=actor.base_ids, ttl=ttl)
