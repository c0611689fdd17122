"""待办: what waits for the signed-in person, as each service's ``GET /todo`` answers it
for them, merged oldest first, each item linking to its page. The console only merges:
which plans a county approves, which bases an evaluator scores, is the services' rule.
A service that does not answer is named, and the others' items still show."""

from dataclasses import dataclass, field

from ..api import ApiError
from ..web import Page, visit_of
from .signing import DONE

# The services that can have work for each role (every person may have unread notices).
ASKED = {
    "county_government": ("registry", "notifications"),
    "competent_department": ("registry", "notifications"),
    "applicant": ("registry", "notifications"),
    "evaluator": ("evaluation", "notifications"),
    "drc": ("registry", "evaluation", "notifications"),
    "funding_office": ("funding", "notifications"),
    "department": ("notifications",),
    "ops": ("registry", "evaluation", "funding", "notifications"),
}
COLUMNS = [("事项", "task"), ("对象", "base_name"), ("自", "since"), ("所在服务", "service")]


@dataclass
class Section:
    """One list of the 待办 page: a caption, its columns ("label", key) and rows."""

    title: str
    columns: list
    rows: list = field(default_factory=list)
    empty: str = "暂无待办事项"
    errors: list = field(default_factory=list)


def todo(app, request) -> Page:
    visit = visit_of(request)
    role = visit.account.role
    sections = [merged(visit.api, ASKED[role])] if role in ASKED else []
    if role == "admin":
        sections.append(Section("待修改初始密码的账户", [("用户名", "username"), ("姓名", "name"), ("角色", "role")],
                                rows=app.accounts(state="must_change_password"), empty="没有"))
    return Page("todo.html", {"sections": sections, "done": DONE.get(request.args.get("done", ""), "")})


def merged(api, services) -> Section:
    """Every asked service's items in one list, oldest first (an item without a time last)."""
    section = Section("待办事项", COLUMNS)
    for service in services:
        try:
            items = api.get(service, "/todo")["items"]
        except ApiError as error:
            section.errors.append(f"暂时无法从“{error.service_word}”取得数据：{error.message}")
            continue
        section.rows += [{**item, "service": service} for item in items]
    section.rows.sort(key=lambda item: (item.get("since") is None, item.get("since") or ""))
    return section
