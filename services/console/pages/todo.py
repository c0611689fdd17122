"""待办: what waits for the signed-in person, as far as the services' APIs answer it
today (a ``GET /todo`` of each service, merged here, is a later step). Each section
reads one API as the person; a section whose service does not answer says so, and the
others still show."""

from dataclasses import dataclass, field

from ..api import ApiError
from ..web import Page, visit_of
from .signing import DONE

LIST_LIMIT = 1000  # the first page of a list: enough for one county's or department's bases


@dataclass
class Section:
    """One list of the 待办 page: a caption, its columns ("label", key) and rows."""

    title: str
    columns: list
    rows: list = field(default_factory=list)
    empty: str = "暂无待办事项"
    error: str = ""


def todo(app, request) -> Page:
    visit = visit_of(request)
    builder = SECTIONS.get(visit.account.role)
    sections = builder(visit, app) if builder else []
    return Page("todo.html", {"sections": sections, "done": DONE.get(request.args.get("done", ""), "")})


def _reading(section: Section, read) -> Section:
    """Fills a section from ``read()``, or says which service did not answer."""
    try:
        section.rows = read()
    except ApiError as error:
        section.error = f"暂时无法从“{error.service_word}”取得数据：{error.message}"
    return section


PLAN_COLUMNS = [("基地名称", "name"), ("设区市", "city"), ("县（市、区）", "county"),
                ("方案版本", "plan_version"), ("状态", "status")]


def _awaiting(rows: list[dict], capacity: str) -> list[dict]:
    """Plans whose latest version waits for ``capacity``'s approval, oldest first."""
    return [{**row, "city": row["region"]["city"], "county": row["region"]["county"]}
            for row in rows if row.get("plan_version") and capacity not in row["plan_approvals"]
            and row.get("filed_version") != row["plan_version"]]


def county_government(visit, app) -> list[Section]:
    region = visit.account.scope["region"]
    return [_reading(Section("待审议的建设方案", PLAN_COLUMNS), lambda: _awaiting(visit.api.get(
        "registry", "/bases", city=region["city"], county=region["county"], limit=LIST_LIMIT)["bases"],
        "county_government"))]


def competent_department(visit, app) -> list[Section]:
    department = visit.account.scope["department"]

    def read():
        rows = visit.api.get("registry", "/bases", limit=LIST_LIMIT)["bases"]
        return _awaiting([r for r in rows if r["competent_department"] == department], "competent_department")

    return [_reading(Section("待审议的建设方案", PLAN_COLUMNS), read)]


def applicant(visit, app) -> list[Section]:
    def read():
        return [visit.api.get("registry", f"/bases/{base_id}")
                for base_id in visit.account.scope.get("base_ids", ())]

    return [_reading(Section("我的基地", [("基地名称", "name"), ("状态", "status"),
                                      ("批次编号", "batch_id")], empty="账户尚未关联基地"), read)]


def evaluator(visit, app) -> list[Section]:
    def read():
        rows = visit.api.get("evaluation", "/assignments", evaluator_id=str(visit.account.actor_id),
                             limit=LIST_LIMIT)["assignments"]
        return [row for row in rows if not row.get("scored_at")]

    return [_reading(Section("待评审的基地", [("基地名称", "base_name"), ("分配时间", "assigned_at"),
                                        ("评分标准", "rubric_version")]), read)]


def drc(visit, app) -> list[Section]:
    batches = _reading(Section("尚未截止的申报批次", [("批次", "name"), ("开始", "opens_at"),
                                              ("截止", "closes_at"), ("名额", "quota")]),
                       lambda: [b for b in visit.api.get("evaluation", "/batches")["batches"]
                                if not b["closed"]])
    warned = _reading(Section("警示整改中的基地", [("基地名称", "name"), ("设区市", "city"),
                                           ("整改期限", "rectification_deadline"), ("状态", "status")]),
                      lambda: [{**b, "city": b["region"]["city"]} for b in visit.api.get(
                          "evaluation", "/bases", status="warned", limit=LIST_LIMIT)["bases"]])
    return [batches, warned]


def funding_office(visit, app) -> list[Section]:
    return [_reading(Section("预算资金", [("名称", "name"), ("年度", "fiscal_year"), ("总额", "total"),
                                      ("已分配", "allocated"), ("可分配", "remaining")],
                             empty="尚未设立预算资金"),
                     lambda: visit.api.get("funding", "/envelopes")["envelopes"])]


def department(visit, app) -> list[Section]:
    return [_reading(Section("未读通知", [("标题", "title"), ("时间", "created_at")], empty="没有未读通知"),
                     lambda: visit.api.get("notifications", "/inbox", unread="true", limit=20)["items"])]


def ops(visit, app) -> list[Section]:
    def read():
        return [{**letter, "service": service}
                for service in ("registry", "evaluation", "funding", "notifications")
                for letter in visit.api.get(service, "/ops/dead-letters")["dead_letters"]]

    return [_reading(Section("死信", [("服务", "service"), ("队列", "queue"), ("错误", "error")],
                             empty="没有死信"), read)]


def admin(visit, app) -> list[Section]:
    return [Section("待修改初始密码的账户", [("用户名", "username"), ("姓名", "name"), ("角色", "role")],
                    rows=app.accounts(state="must_change_password"), empty="没有")]


SECTIONS = {
    "county_government": county_government, "competent_department": competent_department,
    "applicant": applicant, "evaluator": evaluator, "drc": drc, "funding_office": funding_office,
    "department": department, "ops": ops, "admin": admin,
}
