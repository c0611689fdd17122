"""Which pages each role opens (docs/console.md, "Pages by role"), in the order the
navigation shows them. A page not listed for a role answers it with the 403 page."""

from services.contracts.vocabulary import CONSOLE_PAGES

PATHS = {"todo": "/todo", "inbox": "/inbox", "ops": "/ops", "accounts": "/accounts"}

# Who may open each page; 待办 is everyone's landing page.
PAGE_ROLES = {
    "accounts": ("admin",),
    "ops": ("ops",),
    "inbox": ("department", "drc", "county_government", "competent_department", "applicant",
              "evaluator", "funding_office", "ops"),
}

# What each role's navigation shows besides 待办 (the pages of its main work that exist).
MAIN_PAGES = {
    "admin": ("accounts",),
    "ops": ("ops",),
    "department": ("inbox",),
}


def navigation(role: str) -> list[dict]:
    return [{"key": key, "path": PATHS[key], "label": CONSOLE_PAGES[key]}
            for key in ("todo", *MAIN_PAGES.get(role, ()))]
