"""The console's application: accounts (an event-sourced log, hash-chained and audited
like every service's), sessions and sign-in failures (side tables of the same store).

The console keeps nothing of the programme: pages read and write through the four
services' APIs (``api.py``) as the signed-in person.
"""

from dataclasses import dataclass
from datetime import datetime, timezone
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from services.backbone.eventstore.application import ServiceApplication, retry_on_conflict
from services.backbone.kernel.context import Context
from services.backbone.kernel.errors import BadRequest, Conflict, NotFound

from .domain import Account, checked_scope, normalise_username
from .identity import IdentityProvider
from .passwords import check_new_password, hash_password, matches, one_time_password
from .sessions import Session, Sessions, SignInFailures
from services.backbone.settings import ConsoleSettings
from .views import AccountDirectory


class SignInRefused(Exception):
    """Why a sign-in failed, in words for the person (never which of name or password)."""

    def __init__(self, reason: str, until: datetime | None = None):
        super().__init__(reason)
        self.reason, self.until = reason, until


@dataclass(frozen=True)
class SignedIn:
    account: Account
    session: Session


class ConsoleApplication(ServiceApplication):
    """The console's people: accounts, their sessions, their failed sign-ins."""

    name = "console"
    audit_secrets = ("password_hash",)  # Created, PasswordChanged, PasswordReset

    def construct_views(self):
        return [AccountDirectory()]

    def configure(self, settings: ConsoleSettings) -> None:
        """``console:`` of the config: session lifetimes and lock-out limits."""
        self.settings = settings
        self.sessions = Sessions(self, idle_minutes=self.settings.session_idle_minutes,
                                 max_hours=self.settings.session_max_hours)
        lockout = self.settings.lockout
        self.failures = SignInFailures(self, window_minutes=lockout.window_minutes,
                                       lock_minutes=lockout.lock_minutes)

    # -- accounts ---------------------------------------------------------------------

    def add_account(self, *, username: str, name: str, organisation: str, role: str,
                    scope: dict | None, ctx: Context) -> tuple[Account, str]:
        """A new account and its one-time password (to be changed at first sign-in)."""
        username = normalise_username(username)
        if not username or len(username) > 64 or any(c.isspace() for c in username):
            raise BadRequest("请检查标出的栏目。",
                             fields={"username": ["1 至 64 个字符，不含空格。"]})
        password = one_time_password()
        account = Account(username=username, name=name, organisation=organisation, role=role,
                          scope=checked_scope(role, scope), password_hash=hash_password(password),
                          ctx=ctx)
        try:
            self.save(account)
        except IntegrityError:
            raise Conflict(f"用户名 {username} 已被使用。",
                           fields={"username": ["该用户名已被使用。"]}) from None
        return account, password

    @retry_on_conflict
    def change_account(self, account_id: UUID, *, name: str, organisation: str, role: str,
                       scope: dict | None, ctx: Context) -> Account:
        account = self.account(account_id)
        if account.change(name=name, organisation=organisation, role=role, scope=scope, ctx=ctx):
            self.save(account)
        return account

    @retry_on_conflict
    def disable(self, account_id: UUID, *, reason: str, by: UUID, ctx: Context) -> Account:
        """Disables an account and ends its sessions at once."""
        account = self.account(account_id)
        if account.disable(reason=reason, by=by, ctx=ctx):
            self.save(account)
        self.sessions.end_all(account.id, "disabled")
        return account

    @retry_on_conflict
    def enable(self, account_id: UUID, *, ctx: Context) -> Account:
        account = self.account(account_id)
        if account.enable(ctx=ctx):
            self.save(account)
        return account

    @retry_on_conflict
    def reset_password(self, account_id: UUID, *, ctx: Context) -> tuple[Account, str]:
        """A one-time password for the account; its open sessions end."""
        account = self.account(account_id)
        password = one_time_password()
        account.reset_password(password_hash=hash_password(password), ctx=ctx)
        self.save(account)
        self.sessions.end_all(account.id, "password_reset")
        return account, password

    @retry_on_conflict
    def change_password(self, account_id: UUID, *, current: str, new: str, ctx: Context) -> Account:
        account = self.account(account_id)
        if not matches(account.password_hash, current):
            raise BadRequest("请检查标出的栏目。",
                             fields={"current_password": ["当前密码不正确。"]})
        check_new_password(new, username=account.username)
        if new == current:
            raise BadRequest("请检查标出的栏目。",
                             fields={"new_password": ["新密码不能与当前密码相同。"]})
        account.change_password(password_hash=hash_password(new), ctx=ctx)
        self.save(account)
        return account

    def account(self, account_id: UUID) -> Account:
        account = self.find(account_id, Account)
        if account is None:
            raise NotFound("没有这个账户。")
        return account

    def account_named(self, username: str) -> Account | None:
        return self.find(Account.create_id(username), Account)

    def accounts(self, **filters) -> list[dict]:
        return self.views[AccountDirectory].select(**filters)

    # -- signing in -------------------------------------------------------------------

    def sign_in(self, provider: IdentityProvider, credentials: dict, address: str) -> SignedIn:
        """A session for the person the provider identifies; SignInRefused while the
        account or the address is locked, or if the credentials prove nobody."""
        lockout = self.settings.lockout
        subjects = {f"account:{provider.claimed_username(credentials)}": lockout.account_failures,
                    f"address:{address}": lockout.address_failures}
        for subject in subjects:
            until = self.failures.locked_until(subject)
            if until is not None:
                raise SignInRefused("locked", datetime.fromtimestamp(until, timezone.utc))
        account = provider.identify(credentials)
        if account is None:
            locked = [self.failures.record(subject, limit) for subject, limit in subjects.items()
                      if provider.counts_failures]
            if any(locked):
                raise SignInRefused("locked", datetime.fromtimestamp(
                    max(self.failures.locked_until(s) or 0 for s in subjects), timezone.utc))
            raise SignInRefused("wrong")
        if not account.enabled:
            raise SignInRefused("disabled")
        self.failures.clear(f"account:{account.username}")
        return SignedIn(account, self.sessions.open(account.id))
