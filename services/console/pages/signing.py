"""Signing in and out, and changing one's password."""

import hmac
from uuid import uuid4

from services.backbone.kernel.context import Context
from services.backbone.kernel.errors import BadRequest

from ..application import SignInRefused
from ..identity import PasswordSignIn
from ..rendering import beijing
from ..schemas import PasswordForm, SignInForm, form_errors, loaded
from ..sessions import SessionExpired
from ..navigation import landing
from ..web import SESSION_COOKIE, SIGN_IN_COOKIE, CsrfRefused, Page, Redirect, sign_in_token, visit_of

REFUSALS = {
    "wrong": "用户名或密码不正确。",
    "disabled": "该账户已停用，请联系系统管理员。",
}
DONE = {"password": "密码已修改。"}


def context_of(visit) -> Context:
    """Who did it, as the console's own log records it: the account itself."""
    account = visit.account
    return Context(account.id, account.role, account.name, uuid4())


def sign_in_form(app, request, *, form=None, errors=None, message="", status=200) -> Page | Redirect:
    token = request.cookies.get(SESSION_COOKIE)
    if token and form is None:
        try:
            app.sessions.find(token)
            return Redirect("/todo")
        except SessionExpired:
            pass
    csrf = sign_in_token(request)
    return Page("sign_in.html", {"form": form or {}, "errors": errors or {}, "message": message,
                                 "sign_in_csrf": csrf, "next": request.args.get("next", ""),
                                 "labels": SignInForm.labels()},
                status=status, cookies={SIGN_IN_COOKIE: csrf})


def sign_in(app, request) -> Page | Redirect:
    given, expected = request.form.get("csrf_token", ""), request.cookies.get(SIGN_IN_COOKIE, "")
    if not (given and expected and hmac.compare_digest(given, expected)):
        raise CsrfRefused()
    typed = {"username": request.form.get("username", "")}
    try:
        credentials = loaded(SignInForm, request.form)
        signed_in = app.sign_in(PasswordSignIn(app.account_named), credentials,
                                request.remote_addr or "unknown")
    except BadRequest as error:
        return sign_in_form(app, request, form=typed, errors=form_errors(error.fields), status=400)
    except SignInRefused as refusal:
        message = REFUSALS.get(refusal.reason) or (
            f"登录失败次数过多，已暂时锁定，请于 {beijing(refusal.until)} 后再试。")
        return sign_in_form(app, request, form=typed, message=message,
                            status=429 if refusal.reason == "locked" else 401)
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        app.sessions.end(old)
    target = "/password" if signed_in.account.must_change_password else (
        request.form.get("next") or landing(signed_in.account.role))
    return Redirect(target, cookies={SESSION_COOKIE: signed_in.session.token, SIGN_IN_COOKIE: None})


def sign_out(app, request) -> Redirect:
    app.sessions.end(visit_of(request).session.token)
    return Redirect("/sign-in", cookies={SESSION_COOKIE: None})


def password_form(request, *, errors=None, status=200) -> Page:
    visit = visit_of(request)
    return Page("password.html", {"errors": errors or {}, "labels": PasswordForm.labels(),
                                  "first_time": visit.account.must_change_password}, status=status)


def change_password(app, request) -> Page | Redirect:
    visit = visit_of(request)
    try:
        form = loaded(PasswordForm, request.form)
        if form["new_password"] != form["repeat_password"]:
            raise BadRequest("请检查标出的栏目。", fields={"repeat_password": ["两次输入的新密码不一致。"]})
        app.change_password(visit.account.id, current=form["current_password"],
                            new=form["new_password"], ctx=context_of(visit))
    except BadRequest as error:
        return password_form(request, errors=form_errors(error.fields), status=400)
    return Redirect("/todo?done=password")
