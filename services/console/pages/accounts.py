"""用户: the administrators' pages for accounts (list, create, change, disable, enable,
reset password). Every change is an event of the account's log: who, when, why."""

from uuid import UUID

from services.backbone.kernel.errors import BadRequest, Conflict, RuleViolation
from services.contracts.vocabulary import ACCOUNT_STATES, ROLES

from ..domain import PEOPLE_ROLES
from ..schemas import AccountChangeForm, AccountForm, DisableForm, form_errors, loaded, scope_of
from ..web import Page, Redirect, visit_of
from .signing import context_of

ROLE_OPTIONS = [(role, ROLES[role]) for role in PEOPLE_ROLES]
DONE = {"created": "账户已创建。", "changed": "账户已修改。", "disabled": "账户已停用，其登录已全部结束。",
        "enabled": "账户已启用。", "reset": "密码已重置。"}


def account_list(app, request) -> Page:
    role = request.args.get("role") or None
    state = request.args.get("state") or None
    rows = app.accounts(role=role if role in ROLES else None,
                        state=state if state in ACCOUNT_STATES else None)
    return Page("accounts/list.html", {"rows": rows, "role": role or "", "state": state or "",
                                       "role_options": ROLE_OPTIONS,
                                       "state_options": list(ACCOUNT_STATES.items())})


def new_account(request, *, form=None, errors=None, message="", status=200) -> Page:
    return Page("accounts/form.html", {"form": form or {}, "errors": errors or {}, "message": message,
                                       "labels": AccountForm.labels(), "role_options": ROLE_OPTIONS,
                                       "account": None}, status=status)


def create_account(app, request) -> Page:
    typed = request.form.to_dict()
    try:
        form = loaded(AccountForm, request.form)
        account, password = app.add_account(
            username=form["username"], name=form["name"], organisation=form["organisation"],
            role=form["role"], scope=scope_of(form), ctx=context_of(visit_of(request)))
    except (BadRequest, Conflict) as error:
        return new_account(request, form=typed, errors=form_errors(error.fields),
                           message=error.message, status=error.status)
    return Page("accounts/password_issued.html", {"account": account, "password": password,
                                                  "done": DONE["created"]}, status=201)


def account_detail(app, request, account_id: UUID, *, form=None, errors=None, message="",
                   status=200) -> Page:
    account = app.account(account_id)
    current = {"username": account.username, "name": account.name, "organisation": account.organisation,
               "role": account.role, "city": (account.scope.get("region") or {}).get("city", ""),
               "county": (account.scope.get("region") or {}).get("county", ""),
               "department": account.scope.get("department", ""),
               "base_ids": "\n".join(account.scope.get("base_ids", ())),
               "evaluator_id": account.scope.get("evaluator_id", "")}
    return Page("accounts/form.html", {
        "account": account, "form": form or current, "errors": errors or {}, "message": message,
        "labels": AccountForm.labels(), "role_options": ROLE_OPTIONS,
        "sessions": app.sessions.count(account.id),
        "done": DONE.get(request.args.get("done", ""), ""),
    }, status=status)


def change_account(app, request, account_id: UUID) -> Page | Redirect:
    typed = request.form.to_dict()
    try:
        form = loaded(AccountChangeForm, request.form)
        app.change_account(account_id, name=form["name"], organisation=form["organisation"],
                           role=form["role"], scope=scope_of(form), ctx=context_of(visit_of(request)))
    except BadRequest as error:
        return account_detail(app, request, account_id, form=typed, errors=form_errors(error.fields),
                              message=error.message, status=400)
    return Redirect(f"/accounts/{account_id}?done=changed")


def disable_account(app, request, account_id: UUID) -> Page | Redirect:
    visit = visit_of(request)
    try:
        form = loaded(DisableForm, request.form)
        app.disable(account_id, reason=form["reason"], by=visit.account.id, ctx=context_of(visit))
    except (BadRequest, RuleViolation) as error:
        return account_detail(app, request, account_id, errors=form_errors(error.fields),
                              message=error.message, status=error.status)
    return Redirect(f"/accounts/{account_id}?done=disabled")


def enable_account(app, request, account_id: UUID) -> Redirect:
    app.enable(account_id, ctx=context_of(visit_of(request)))
    return Redirect(f"/accounts/{account_id}?done=enabled")


def reset_password(app, request, account_id: UUID) -> Page:
    try:
        account, password = app.reset_password(account_id, ctx=context_of(visit_of(request)))
    except RuleViolation as error:
        return account_detail(app, request, account_id, message=error.message, status=422)
    return Page("accounts/password_issued.html", {"account": account, "password": password,
                                                  "done": DONE["reset"]})


