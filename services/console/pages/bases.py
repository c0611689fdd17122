"""基地: the list of bases as the registry answers it to the person (search, filters,
sort, a page at a time with the service's ``total``), and its export to Excel and CSV of
exactly the rows and columns shown."""

from dataclasses import dataclass
from urllib.parse import urlencode

from werkzeug.wrappers import Response

from services.contracts.vocabulary import CITIES, KINDS, STATUSES

from ..exports import Column, to_csv, to_xlsx
from ..web import Page, visit_of

PAGE_SIZE = 20
FILTERS = ("q", "kind", "status", "city", "county", "batch_id", "competent_department")
SORTS = {"declared_at": "申报时间（早→晚）", "-declared_at": "申报时间（晚→早）",
         "name": "名称", "-updated_at": "最近变化", "city": "设区市", "status": "状态"}

COLUMNS = [
    Column("基地名称", lambda r: r["name"]),
    Column("示范类型", lambda r: KINDS.get(r["kind"], r["kind"])),
    Column("设区市", lambda r: r["region"]["city"]),
    Column("县（市、区）", lambda r: r["region"]["county"]),
    Column("主管部门", lambda r: r["competent_department"]),
    Column("批次", lambda r: r["batch_name"]),
    Column("状态", lambda r: STATUSES.get(r["status"], r["status"])),
    Column("申报时间", lambda r: r["declared_at"], time=True),
    Column("最近变化", lambda r: r["updated_at"], time=True),
    # Codes stay in exports' hidden columns, for a person who re-imports them.
    Column("基地编号", lambda r: r["base_id"], hidden=True),
    Column("类型代码", lambda r: r["kind"], hidden=True),
    Column("状态代码", lambda r: r["status"], hidden=True),
]


@dataclass
class Listing:
    """One page of the list as the registry answered it, and the query that asked."""

    rows: list
    total: int
    offset: int
    query: dict
    batches: dict

    def link(self, **changes) -> str:
        """This list's URL with some parameters changed (paging, sorting, exporting)."""
        merged = {**self.query, "offset": self.offset, **changes}
        return "?" + urlencode({k: v for k, v in merged.items() if v not in (None, "", 0)})


def read_listing(request) -> Listing:
    api = visit_of(request).api
    query = {key: request.args.get(key, "").strip() for key in FILTERS}
    query["sort"] = request.args.get("sort") if request.args.get("sort") in SORTS else "declared_at"
    offset = _number(request.args.get("offset"))
    answer = api.get("registry", "/bases", **query, limit=PAGE_SIZE, offset=offset)
    batches = {b["batch_id"]: b["name"] for b in api.get("registry", "/batches")["batches"]}
    rows = [{**row, "batch_name": batches.get(row["batch_id"], "")} for row in answer["bases"]]
    return Listing(rows, answer["total"], offset, query, batches)


def base_list(request) -> Page:
    listing = read_listing(request)
    return Page("bases/list.html", {
        "listing": listing, "visible": [(c.label, c) for c in COLUMNS if not c.hidden], "page_size": PAGE_SIZE, "sorts": SORTS,
        "options": {"kind": list(KINDS.items()), "status": list(STATUSES.items()),
                    "city": [(c, c) for c in CITIES], "batch_id": list(listing.batches.items())}})


def export(request, form: str) -> Response:
    """The rows and columns the list shows for the same query, as .xlsx or CSV."""
    listing = read_listing(request)
    if form == "xlsx":
        body, mimetype = to_xlsx("基地", COLUMNS, listing.rows), \
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body, mimetype = to_csv(COLUMNS, listing.rows).encode("utf-8-sig"), "text/csv; charset=utf-8"
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f"attachment; filename=\"bases.{form}\"; filename*=UTF-8''%E5%9F%BA%E5%9C%B0.{form}"})


def _number(text) -> int:
    return int(text) if str(text or "").isascii() and str(text or "").isdigit() else 0
