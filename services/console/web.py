"""The console's HTTP entrypoint: sessions, CSRF and roles checked before any worker runs,
and every answer an HTML page, errors included (403, 404, expired session, refused form,
oversized upload), never a service's data where it may not be shown.

``@page("GET", "/accounts", roles=("admin",))`` is to the console what ``@http`` is to
the services; a worker returns a ``Page`` (template and context) or a ``Redirect``.
"""

import logging
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property, partial
from typing import Any
from urllib.parse import quote, urlsplit
from uuid import uuid4

import requests
from eventlet.event import Event
from werkzeug.wrappers import Response

from services.backbone.dependencies import EventStore
from services.backbone.kernel.errors import PlatformError
from services.backbone.web.entrypoints import JsonHttp, as_platform_error

from .api import ApiError, ServiceApi
from .domain import PEOPLE_ROLES, Account
from .identity import service_token
from .navigation import navigation
from .rendering import render
from .sessions import Session, SessionExpired
from .settings import api_urls

log = logging.getLogger(__name__)

SESSION_COOKIE = "sc_session"
SIGN_IN_COOKIE = "sc_sign_in"  # the sign-in form's CSRF token, before there is a session
VISIT = "sc.visit"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
                               "form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@dataclass
class Page:
    """What a worker answers: a template and its context (the layout adds the person)."""

    template: str
    context: dict = field(default_factory=dict)
    status: int = 200
    cookies: dict = field(default_factory=dict)  # name -> value to set (None: delete)


@dataclass
class Redirect:
    location: str
    status: int = 303  # after a POST: the browser GETs the next page
    cookies: dict = field(default_factory=dict)


class Refused(PlatformError):
    """A request the console answers with one of its own pages, not the worker's (a
    PlatformError: the services' log filter keeps the person's errors out of the log)."""

    template = "errors/error.html"
    status = 400

    def __init__(self, detail: str = ""):
        super().__init__(detail)
        self.detail = detail


class NotSignedIn(Refused):
    status = 401


class Expired(Refused):
    template, status = "errors/expired.html", 401


class CsrfRefused(Refused):
    template, status = "errors/csrf.html", 403


class PageForbidden(Refused):
    template, status = "errors/forbidden.html", 403


class PageNotFound(Refused):
    template, status = "errors/not_found.html", 404


class TooLarge(Refused):
    template, status = "errors/too_large.html", 413


@dataclass
class Visit:
    """One request of a signed-in person: who, their session, and the services as them."""

    account: Account
    session: Session
    console: Any  # the entrypoint's Console (settings, secret, addresses)
    correlation_id: str = field(default_factory=lambda: str(uuid4()))

    @cached_property
    def api(self) -> ServiceApi:
        ttl = timedelta(minutes=self.console.settings.service_token_minutes)
        token = service_token(self.account, self.console.signer, ttl)
        return ServiceApi(self.console.urls, token, timeout=self.console.settings.api_timeout_seconds,
                          http=self.console.http, correlation_id=self.correlation_id)


def visit_of(request) -> Visit:
    return request.environ[VISIT]


class Console:
    """What the entrypoints of one container share: the application, settings, the
    token secret, the services' addresses and one pool of HTTP connections to them."""

    def __init__(self, container):
        self.app = next(d.app for d in container.dependencies if isinstance(d, EventStore))
        platform = container.config["PLATFORM"]
        self.settings = self.app.settings
        self.signer = self.app.signer  # the console's own key: issuer "console"
        self.urls = api_urls(platform)
        self.http = requests.Session()

    def admit(self, request, entrypoint) -> Visit | None:
        """The visit of a signed-in person allowed on this page, or why not."""
        if entrypoint.public:
            return self._optional_visit(request, entrypoint)
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            raise NotSignedIn()
        try:
            session = self.app.sessions.find(token)
        except SessionExpired as ended:
            raise Expired(str(ended)) from None
        account = self.app.find(session.account_id, Account)
        if account is None or not account.enabled:
            self.app.sessions.end(token)
            raise Expired("disabled")
        if request.method == "POST" and not session.csrf_matches(
                request.headers.get("X-CSRF-Token") or request.form.get("csrf_token")):
            raise CsrfRefused()
        visit = Visit(account, session, self)
        if account.must_change_password and not entrypoint.before_password_change:
            return visit  # the entrypoint redirects to the password page
        if entrypoint.roles is not None and account.role not in entrypoint.roles:
            raise PageForbidden(entrypoint.url)
        return visit


    def _optional_visit(self, request, entrypoint) -> Visit | None:
        """On a public page (sign-in, 404), the person if signed in: the layout shows
        their navigation. Nothing is refused here, and static files skip the lookup."""
        if entrypoint.bare or not request.cookies.get(SESSION_COOKIE):
            return None
        try:
            session = self.app.sessions.find(request.cookies[SESSION_COOKIE])
        except SessionExpired:
            return None
        account = self.app.find(session.account_id, Account)
        return Visit(account, session, self) if account is not None and account.enabled else None


class ConsolePage(JsonHttp):
    """An HTML page of the console (``public``: served without a session)."""

    documented = False  # a page for people, not an operation of the JSON API

    def __init__(self, method, url, roles=PEOPLE_ROLES, public=False, before_password_change=False,
                 bare=False, **kwargs):
        super().__init__(method, url, roles=roles, public=True, **kwargs)
        self.public = public or bare
        self.bare = bare  # no session looked up at all (static files)
        self.before_password_change = before_password_change

    @property
    def console(self) -> Console:
        """Built at the first request: the event store is set up beside the entrypoints
        (nameko sets extensions up together), so it may not be ready before."""
        console = getattr(self.container, "_sc_console", None)
        if console is None:
            console = self.container._sc_console = Console(self.container)
        return console

    def _respond(self, request):
        request.shallow = False
        limit = self.console.settings.max_upload_bytes
        request.max_content_length = limit
        request.environ.setdefault("wsgi.input_terminated", True)
        try:
            if (request.content_length or 0) > limit:
                raise TooLarge(str(limit))
            visit = self.console.admit(request, self)
            if visit is not None and visit.account.must_change_password and not (
                    self.before_password_change or self.public):
                return _redirect("/password")
            request.environ[VISIT] = visit
            args, kwargs = self.get_entrypoint_parameters(request)
            self.check_signature(args, kwargs)
            done = Event()
            self.container.spawn_worker(self, args, kwargs, context_data={},
                                        handle_result=partial(self.handle_result, done))
            return self.answer(request, done.wait())
        except Exception as exc:  # every failure becomes a page
            return self.error_page(request, exc)

    def answer(self, request, result) -> Response:
        if isinstance(result, Response):
            return result
        if isinstance(result, Redirect):
            response = _redirect(result.location, result.status)
        else:
            response = self.html(request, result.template, result.context, result.status)
        for name, value in result.cookies.items():
            if value is None:
                response.delete_cookie(name, path="/")
            else:
                response.set_cookie(name, value, httponly=True, samesite="Lax", path="/",
                                    secure=self.console.settings.cookie_secure)
        return response

    def html(self, request, template: str, context: dict, status: int = 200) -> Response:
        visit = request.environ.get(VISIT)
        layout = {"visit": visit, "path": request.path, "nav": navigation(visit.account.role) if visit else [],
                  "csrf_token": visit.session.csrf_token if visit else "", **context}
        response = Response(render(template, **layout), status=status, mimetype="text/html")
        response.headers.extend(SECURITY_HEADERS)
        return response

    def refusal_of(self, exc: Exception) -> Refused | None:
        """The page for an error: the console's own, a service's refusal, a rule of the
        console's domain; None for a fault (a 500, logged)."""
        if isinstance(exc, Refused):
            return exc
        if isinstance(exc, ApiError):
            return _api_refusal(exc)
        exc = as_platform_error(exc)  # werkzeug's 413 of a chunked body, a store not answering...
        if exc is None:
            return None
        if exc.status in (404, 405):
            return PageNotFound(exc.message)
        if exc.status == 413:
            return TooLarge(str(self.console.settings.max_upload_bytes))
        refusal = Refused(exc.message)
        refusal.status = exc.status
        return refusal if exc.status < 500 or exc.status == 503 else None

    def error_page(self, request, exc: Exception) -> Response:
        if isinstance(exc, NotSignedIn):
            return _redirect(f"/sign-in?next={quote(request.full_path.rstrip('?'), safe='')}"
                             if request.method == "GET" else "/sign-in")
        refusal = self.refusal_of(exc)
        if refusal is None:
            log.exception("console page %s %s failed", request.method, request.path, exc_info=exc)
            refusal = Refused("unexpected")
            refusal.status = 500
        exc = refusal
        response = self.html(request, exc.template, {"refusal": exc}, exc.status)
        if isinstance(exc, Expired):
            response.delete_cookie(SESSION_COOKIE, path="/")
        return response


def _api_refusal(error: ApiError) -> Refused:
    """A service's refusal of a page's read, as the console's page for it."""
    if error.status == 403:
        refusal = PageForbidden(error.message)
    elif error.status == 404:
        refusal = PageNotFound(error.message)
    else:
        refusal = Refused(error.message)
        refusal.status = 502 if error.status == 500 else error.status
    refusal.api_error = error
    return refusal


def _redirect(location: str, status: int = 303) -> Response:
    """Only to a path of the console itself (a ``next`` given by the browser included)."""
    parts = urlsplit(location)
    if parts.scheme or parts.netloc or not location.startswith("/") or location.startswith("//"):
        location = "/"
    response = Response("", status=status, headers={"Location": location})
    response.headers.extend(SECURITY_HEADERS)
    return response


def sign_in_token(request) -> str:
    """The sign-in form's CSRF token: the one its cookie holds, or a new one."""
    return request.cookies.get(SIGN_IN_COOKIE) or secrets.token_urlsafe(32)


page = ConsolePage.decorator
