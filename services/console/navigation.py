"""Which pages each role opens (docs/console.md, "Pages by role"), in the order the
navigation shows them. A page not listed for a role answers it with the 403 page."""

from services.contracts.vocabulary import CONSOLE_PAGES

PATHS = {"dashboard": "/dashboard", "stats": "/stats", "todo": "/todo", "bases": "/bases", "inbox": "/inbox",
         "ops": "/ops", "accounts": "/accounts"}

PROGRAMME_ROLES = ("drc", "county_government", "competent_department", "applicant", "evaluator",
                   "funding_office", "department", "ops")

# Who may open each page; 待办 is everyone's. The 基地 pages open to every role of the
# programme: what each person then sees of a base is what the services answer them.
PAGE_ROLES = {
    "accounts": ("admin",),
    "ops": ("ops",),
    "inbox": ("department", "drc", "county_government", "competent_department", "applicant",
              "evaluator", "funding_office", "ops"),
    "dashboard": ("drc", "department"),
    "stats": ("drc", "department"),
    "bases": PROGRAMME_ROLES,
}

# What each role's navigation shows besides 待办 (the pages of its main work that exist).
MAIN_PAGES = {
    "admin": ("accounts",),
    "ops": ("ops", "bases"),
    "department": ("inbox", "dashboard", "stats", "bases"),
    "drc": ("dashboard", "stats", "bases"),
    "county_government": ("bases",),
    "competent_department": ("bases",),
    "funding_office": ("bases",),
    "evaluator": ("bases",),
    "applicant": ("bases",),
}

# Where a role lands after signing in: the DRC on its dashboard, everyone else on 待办.
LANDING = {"drc": "/dashboard"}


def landing(role: str) -> str:
    return LANDING.get(role, "/todo")


def navigation(role: str) -> list[dict]:
    keys = ("todo", *MAIN_PAGES.get(role, ()))
    if role in LANDING:  # its landing page first
        keys = tuple(sorted(keys, key=lambda key: PATHS[key] != LANDING[role]))
    return [{"key": key, "path": PATHS[key], "label": CONSOLE_PAGES[key]} for key in keys]
