"""首页: the DRC's dashboard. Counts come from the registry's ``/stats/summary``, money
from funding's, warned bases and decisions from evaluation, tasks overdue from the
registry's ``/todo`` (the DRC's: every base's, ``docs/deadlines.md``): the console merges their
answers and adds nothing up itself. Each panel whose service does not answer says which,
and the others still show."""

import json

from services.contracts.vocabulary import ACTIVE_STATUSES, CITIES, KINDS, STATUSES

from ..web import Page, visit_of
from .panels import read

GOAL = 30  # the implementation opinions of 2017-09-07: "about 30 provincial bases by the end of 2019"
GOAL_YEAR = 2019
LATEST_DECISIONS = 8
# The charts' colours: kinds in shades of the console's accent, statuses as their badges.
KIND_COLOURS = {"regional": "#1d4f91", "university": "#5b8fd1", "enterprise": "#9cc3f5"}
STATUS_COLOURS = {"declared": "#c5ccd3", "certified": "#1a7f37", "not_selected": "#57606a",
                  "retained": "#6fbf73", "warned": "#d4a72c", "revoked": "#b42318",
                  "recommended_national": "#0b5cad"}


def dashboard(request) -> Page:
    api = visit_of(request).api
    counts = read(lambda: api.get("registry", "/stats/summary"))
    money = read(lambda: api.get("funding", "/stats/summary"))
    warned = read(lambda: {"rows": api.get("evaluation", "/bases", status="warned")["bases"]})
    decisions = read(lambda: {"rows": _latest_decisions(api)})
    overdue = read(lambda: {"rows": [item for item in api.get("registry", "/todo")["items"]
                                     if item.get("overdue")]})
    charts = chart_data(counts.data)
    active = sum(counts.data.get("by_status", {}).get(code, 0) for code in ACTIVE_STATUSES)
    return Page("dashboard.html", {
        "counts": counts, "money": money, "warned": warned, "decisions": decisions,
        "overdue": overdue,
        "active": active, "goal": GOAL, "goal_year": GOAL_YEAR,
        "progress": min(100, round(100 * active / GOAL)),
        "chart_rows": charts["map"], "charts": script_json(charts)})


def _latest_decisions(api) -> list[dict]:
    """The newest decisions, newest first: the service lists oldest first, so the last
    page is asked for by the ``total`` of a one-row page."""
    total = api.get("evaluation", "/decisions", limit=1)["total"]
    rows = api.get("evaluation", "/decisions", limit=LATEST_DECISIONS,
                   offset=max(0, total - LATEST_DECISIONS))["decisions"]
    return list(reversed(rows))


def chart_data(summary: dict) -> dict:
    """What the map and the charts draw, in words (the script only draws)."""
    by_city = summary.get("by_city", {})
    months = summary.get("over_time", [])
    return {
        "map": [{"name": city, "value": by_city.get(city, {}).get("total", 0),
                 "names": by_city.get(city, {}).get("names", [])} for city in CITIES],
        "months": [row["month"] for row in months],
        "kinds": [{"name": word, "color": KIND_COLOURS[code],
                   "data": [row["by_kind"].get(code, 0) for row in months]}
                  for code, word in KINDS.items()],
        "statuses": [{"name": word, "color": STATUS_COLOURS.get(code, "#8c959f"),
                      "data": [row["by_status"].get(code, 0) for row in months]}
                     for code, word in STATUSES.items()
                     if any(row["by_status"].get(code) for row in months)],
    }


def script_json(data) -> str:
    """JSON safe inside a ``<script type="application/json">``: a name holding
    ``</script>`` cannot close the element (``<``, ``>`` and ``&`` as escapes)."""
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
