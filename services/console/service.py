"""The console service (工作台): server-rendered pages for the programme's people.

Thin like the other services' entrypoints: ``@page`` has checked the session, the CSRF
token and the role before a worker runs; each method hands the request to its page.
The console owns accounts and sessions only; everything of the programme is read and
written through the four services' APIs as the signed-in person.
"""

import mimetypes
from pathlib import Path
from uuid import UUID

from werkzeug.wrappers import Response

from services.backbone.dependencies import EventStore
from services.backbone.ops.endpoints import OperationsEndpoints
from services.backbone.web.answers import Health
from services.backbone.web.entrypoints import http

from .api_reference import ApiReference
from .application import ConsoleApplication
from .navigation import PAGE_ROLES
from .navigation import landing
from .pages import accounts, base_detail, bases, dashboard, inbox, ops, signing, statistics, todo
from .web import PageNotFound, Redirect, page, visit_of

HERE = Path(__file__).parent
VENDOR = HERE / "node_modules"
# What /static/ serves: the console's own files, and the pinned packages' files by name.
STATIC_FILES = {
    "console.css": HERE / "static" / "console.css",
    "vendor/htmx.min.js": VENDOR / "htmx.org" / "dist" / "htmx.min.js",
    "vendor/echarts.min.js": VENDOR / "echarts" / "dist" / "echarts.min.js",
    "dashboard.js": HERE / "static" / "dashboard.js",
    "statistics.js": HERE / "static" / "statistics.js",
    "vendor/shanxi.json": VENDOR / "echarts" / "map" / "json" / "province" / "shanxi.json",
    "api-reference.js": HERE / "static" / "api-reference.js",
    **{f"vendor/{name}": VENDOR / "swagger-ui-dist" / name
       for name in ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js")},
}
ADMIN = PAGE_ROLES["accounts"]


class ConsoleService(ApiReference, OperationsEndpoints):
    """Sign-in, the shell, and the pages of each role."""

    name = "console"

    app = EventStore(ConsoleApplication)

    @http("GET", "/health", public=True, response=Health)
    def health(self, request):
        """Alive, and its store answers (public: says only ok or failing)."""
        try:
            self.app.head()
            return 200, {"service": self.name, "status": "ok"}
        except Exception:  # a health check reports, it does not raise
            return 503, {"service": self.name, "status": "degraded"}

    @page("GET", "/static/<path:name>", bare=True)
    def static(self, request, name):
        path = STATIC_FILES.get(name)
        if path is None or not path.is_file():
            raise PageNotFound(name)
        response = Response(path.read_bytes(), mimetype=mimetypes.guess_type(path.name)[0] or "application/octet-stream")
        response.headers["Cache-Control"] = "public, max-age=3600"
        return response

    @page("GET", "/")
    def home(self, request):
        return Redirect(landing(visit_of(request).account.role))

    # -- signing in ---------------------------------------------------------------------

    @page("GET", "/sign-in", public=True)
    def sign_in_form(self, request):
        return signing.sign_in_form(self.app, request)

    @page("POST", "/sign-in", public=True)
    def sign_in(self, request):
        return signing.sign_in(self.app, request)

    @page("POST", "/sign-out", before_password_change=True)
    def sign_out(self, request):
        return signing.sign_out(self.app, request)

    @page("GET", "/password", before_password_change=True)
    def password_form(self, request):
        return signing.password_form(request)

    @page("POST", "/password", before_password_change=True)
    def change_password(self, request):
        return signing.change_password(self.app, request)

    # -- every role's pages ---------------------------------------------------------------

    @page("GET", "/todo")
    def todo(self, request):
        return todo.todo(self.app, request)

    @page("GET", "/inbox", roles=PAGE_ROLES["inbox"])
    def inbox(self, request):
        return inbox.inbox(request)

    @page("GET", "/inbox/unread-count", roles=PAGE_ROLES["inbox"])
    def unread_count(self, request):
        return inbox.unread_badge(request)

    @page("POST", "/inbox/<uuid:delivery_id>/read", roles=PAGE_ROLES["inbox"])
    def mark_read(self, request, delivery_id):
        return inbox.mark_read(request, delivery_id)

    @page("GET", "/ops", roles=PAGE_ROLES["ops"])
    def ops(self, request):
        return ops.ops_page(request)

    @page("GET", "/ops/board/<string:panel>", roles=PAGE_ROLES["ops"])
    def ops_panel(self, request, panel):
        panels = {"queues": ops.queues_panel, "status": ops.status_panel,
                  "dead-letters": ops.dead_letters_panel}
        if panel not in panels:
            raise PageNotFound(panel)
        return panels[panel](request)

    @page("POST", "/ops/board/dead-letters/<string:action>", roles=PAGE_ROLES["ops"])
    def dead_letter_action(self, request, action):
        return ops.act_on_dead_letter(request, action)

    # -- 首页 and 基地 ---------------------------------------------------------------------

    @page("GET", "/dashboard", roles=PAGE_ROLES["dashboard"])
    def dashboard(self, request):
        return dashboard.dashboard(request)

    @page("GET", "/stats", roles=PAGE_ROLES["stats"])
    def statistics(self, request):
        return statistics.statistics(request)

    @page("GET", "/stats/export.xlsx", roles=PAGE_ROLES["stats"])
    def export_statistics(self, request):
        return statistics.export(request)

    @page("GET", "/bases", roles=PAGE_ROLES["bases"])
    def bases(self, request):
        return bases.base_list(request)

    @page("GET", "/bases/export.<string:form>", roles=PAGE_ROLES["bases"])
    def export_bases(self, request, form):
        if form not in ("xlsx", "csv"):
            raise PageNotFound(form)
        return bases.export(request, form)

    @page("GET", "/bases/<uuid:base_id>", roles=PAGE_ROLES["bases"])
    def base(self, request, base_id: UUID):
        return base_detail.base_detail(request, base_id)

    # -- 用户: accounts (administrators) -------------------------------------------------

    @page("GET", "/accounts", roles=ADMIN)
    def accounts(self, request):
        return accounts.account_list(self.app, request)

    @page("GET", "/accounts/new", roles=ADMIN)
    def new_account(self, request):
        return accounts.new_account(request)

    @page("POST", "/accounts", roles=ADMIN)
    def create_account(self, request):
        return accounts.create_account(self.app, request)

    @page("GET", "/accounts/<uuid:account_id>", roles=ADMIN)
    def account(self, request, account_id: UUID):
        return accounts.account_detail(self.app, request, account_id)

    @page("POST", "/accounts/<uuid:account_id>", roles=ADMIN)
    def change_account(self, request, account_id: UUID):
        return accounts.change_account(self.app, request, account_id)

    @page("POST", "/accounts/<uuid:account_id>/disabling", roles=ADMIN)
    def disable_account(self, request, account_id: UUID):
        return accounts.disable_account(self.app, request, account_id)

    @page("POST", "/accounts/<uuid:account_id>/enabling", roles=ADMIN)
    def enable_account(self, request, account_id: UUID):
        return accounts.enable_account(self.app, request, account_id)

    @page("POST", "/accounts/<uuid:account_id>/password-reset", roles=ADMIN)
    def reset_password(self, request, account_id: UUID):
        return accounts.reset_password(self.app, request, account_id)

    # -- anything else ----------------------------------------------------------------------

    @page("GET,POST", "/<path:anything>", public=True)
    def not_found(self, request, anything):
        raise PageNotFound(anything)
