"""统计: the DRC's statistics (issue 27 §4), each table as its service answers it:
bases by county, kind, city, status, year and batch and the target's progress from the
registry, the annual reports' figures by kind and city from evaluation, the money by
source, city and year from funding. The same tables fill the page, its charts and its
Excel export, so the file holds exactly what the page shows; the console adds nothing up."""

from urllib.parse import urlencode

from werkzeug.wrappers import Response

from services.contracts.funding import FUND_SOURCES
from services.contracts.vocabulary import ANNUAL_INDICATORS, CITIES, KINDS, MONEY_INDICATORS, STATUSES

from ..exports import Column, to_workbook
from ..web import Page, visit_of
from .dashboard import script_json
from .panels import read

FILTERS = ("kind", "city", "county", "status", "batch_id", "year", "as_of")
# What each service counts by: evaluation and funding know no status of record, and
# funding no batch; their ``year`` is the report's and the fiscal year.
ASKS = {"registry": FILTERS, "evaluation": ("kind", "city", "county", "batch_id", "year", "as_of"),
        "funding": ("kind", "city", "county", "year", "as_of")}
MONEY = {"allocated": "已分配（元）", "disbursed": "已拨付（元）", "cancelled": "已取消（元）",
         "recovery_demanded": "应追回（元）", "recovered": "已追回（元）"}
COUNTIES, FIGURES_BY_KIND, FIGURES_BY_CITY = "各县（市、区）基地分布", "年度数据（按示范类型）", "年度数据（按设区市）"
FUNDS_BY_SOURCE, FUNDS_BY_CITY, FUNDS_BY_YEAR = "资金（按来源）", "资金（按设区市）", "资金（按预算年度）"
CHARTED = ("incubated_enterprises", "jobs_created", "patents")  # the figures a chart draws
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _counted(label: str, word=lambda code: code) -> list[Column]:
    return [Column(label, lambda r: word(r["key"])), Column("基地数", lambda r: r["count"])]


def _figures(label: str, word=lambda code: code) -> list[Column]:
    return [Column(label, lambda r: word(r["key"])), Column("报告数", lambda r: r["reports"]),
            *[Column(text, lambda r, code=code: r[code], money=code in MONEY_INDICATORS)
              for code, text in ANNUAL_INDICATORS.items()]]


def _money(label: str, word=lambda code: code) -> list[Column]:
    return [Column(label, lambda r: word(r["key"])),
            *[Column(text, lambda r, code=code: r[code], money=True) for code, text in MONEY.items()]]


COUNTY = [Column("设区市", lambda r: r["city"]), Column("县（市、区）", lambda r: r["county"]),
          Column("基地数", lambda r: r["total"]), Column("在册示范基地", lambda r: r["demonstration"])]


def read_query(request) -> dict:
    return {key: request.args.get(key, "").strip() for key in FILTERS}


def _ask(api, service: str, path: str, query: dict):
    return read(lambda: api.get(service, path, **{k: query[k] for k in ASKS[service]}))


def _rows(panel, name: str) -> list[dict]:
    """A ``by_…`` answer as rows: ``key`` and its count, or its sums."""
    return [{"key": key, **(value if isinstance(value, dict) else {"count": value})}
            for key, value in panel.data.get(name, {}).items()]


def _kind(code):
    return KINDS.get(code, code)


def _status(code):
    return STATUSES.get(code, code)


def _city(code):
    return "未登记" if code == "unknown" else code


def tables(api, query: dict) -> tuple[dict, dict[str, dict]]:
    """The three services' answers for this query, and the tables made of them by title,
    in the page's order (each: its columns, rows, and the panel that may have failed)."""
    bases = _ask(api, "registry", "/stats/bases", query)
    annual = _ask(api, "evaluation", "/stats/annual", query)
    funds = _ask(api, "funding", "/stats/funds", query)
    batches = read(lambda: {b["batch_id"]: b["name"] for b in api.get("registry", "/batches")["batches"]})
    made = [
        (COUNTIES, COUNTY, bases.data.get("by_county", []), bases),
        ("按示范类型", _counted("示范类型", _kind), _rows(bases, "by_kind"), bases),
        ("按设区市", _counted("设区市"), _rows(bases, "by_city"), bases),
        ("按状态", _counted("状态", _status), _rows(bases, "by_status"), bases),
        ("按申报年度", _counted("申报年度"), _rows(bases, "by_year"), bases),
        ("按批次", _counted("批次", lambda c: batches.data.get(c, c)), _rows(bases, "by_batch"), bases),
        (FIGURES_BY_KIND, _figures("示范类型", _kind), _rows(annual, "by_kind"), annual),
        (FIGURES_BY_CITY, _figures("设区市"), _rows(annual, "by_city"), annual),
        (FUNDS_BY_SOURCE, _money("资金来源", lambda c: FUND_SOURCES.get(c, c)), _rows(funds, "by_source"), funds),
        (FUNDS_BY_CITY, _money("设区市", _city), _rows(funds, "by_city"), funds),
        (FUNDS_BY_YEAR, _money("预算年度"), _rows(funds, "by_year"), funds),
    ]
    return ({"bases": bases, "annual": annual, "funds": funds},
            {title: {"title": title, "columns": columns, "rows": rows, "panel": panel,
                     "pairs": [(column.label, column) for column in columns]}
             for title, columns, rows, panel in made})


def statistics(request) -> Page:
    query = read_query(request)
    api = visit_of(request).api
    panels, made = tables(api, query)
    link = urlencode({k: v for k, v in query.items() if v})
    return Page("statistics.html", {
        "query": query, "panels": panels, "tables": list(made.values()), "export": "/stats/export.xlsx" + (f"?{link}" if link else ""),
        "target": panels["bases"].data.get("target", {}), "charts": script_json(chart_data(made)),
        "options": {"kind": list(KINDS.items()), "status": list(STATUSES.items()),
                    "city": [(c, c) for c in CITIES]}})


def export(request) -> Response:
    """The page's tables as one .xlsx, a sheet each, amounts as numbers."""
    _, made = tables(visit_of(request).api, read_query(request))
    body = to_workbook([(t["title"], t["columns"], t["rows"]) for t in made.values()])
    return Response(body, mimetype=XLSX, headers={
        "Content-Disposition": "attachment; filename=\"statistics.xlsx\"; filename*=UTF-8''%E7%BB%9F%E8%AE%A1.xlsx"})


def chart_data(made: dict[str, dict]) -> dict:
    """What the charts draw, in words: a category axis and its series per chart (money
    stays the services' decimal strings; the chart reads them as numbers to draw)."""
    def chart(title: str, measures: dict) -> dict:
        table = made[title]
        return {"categories": [table["columns"][0].value(row) for row in table["rows"]],
                "series": [{"name": text, "data": [row.get(code, 0) for row in table["rows"]]}
                           for code, text in measures.items()]}
    counties = made[COUNTIES]["rows"]
    figures = {code: ANNUAL_INDICATORS[code] for code in CHARTED}
    paid = {code: MONEY[code] for code in ("allocated", "disbursed")}
    return {
        "counties": {"categories": [f'{r["city"]}{r["county"]}' for r in counties],
                     "series": [{"name": "基地数", "data": [r["total"] for r in counties]},
                                {"name": "在册示范基地", "data": [r["demonstration"] for r in counties]}]},
        "figures_by_kind": chart(FIGURES_BY_KIND, figures),
        "figures_by_city": chart(FIGURES_BY_CITY, figures),
        "funds_by_source": chart(FUNDS_BY_SOURCE, paid),
        "funds_by_city": chart(FUNDS_BY_CITY, paid),
        "funds_by_year": chart(FUNDS_BY_YEAR, paid),
    }
