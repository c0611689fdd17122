"""The console's Jinja2 environment: templates, and the filters that turn codes, times
and money into what a person reads (words from ``services.contracts.vocabulary``)."""

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from services.contracts import vocabulary
from services.console.api import FORM_KEY_FIELD, new_form_key

TEMPLATES = Path(__file__).with_name("templates")

# China has kept UTC+8 all year since 1991: a fixed offset is Beijing time for every
# date the programme has, without depending on the system's time-zone database.
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")

WORDS = {
    "roles": vocabulary.ROLES, "statuses": vocabulary.STATUSES, "kinds": vocabulary.KINDS,
    "pages": vocabulary.CONSOLE_PAGES, "services": vocabulary.SERVICE_NAMES,
    "account_states": vocabulary.ACCOUNT_STATES, "grades": vocabulary.GRADES,
    "deliveries": vocabulary.DELIVERY_STATUSES, "tasks": vocabulary.TODO_TASKS,
    "bases_of_decision": vocabulary.DECISION_BASES,
}

# Badge tones (docs/console.md): good standing green, under rectification amber,
# revoked red, recommended blue, everything else grey.
TONES = {"certified": "green", "retained": "green", "active": "green", "delivered": "green",
         "warned": "amber", "must_change_password": "amber", "pending": "amber", "sending": "amber",
         "revoked": "red", "disabled": "red", "failed": "red",
         "recommended_national": "blue"}


def beijing(value) -> str:
    """An aware time (or ISO text) in Beijing time: ``2017年9月7日 14:30``."""
    if value in (None, ""):
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        raise ValueError(f"a time without its zone: {value!r}")
    local = moment.astimezone(BEIJING)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def day(value) -> str:
    """A Beijing date (ISO text or a date) as ``2017年9月7日``: the day a decision takes effect."""
    if value in (None, ""):
        return ""
    moment = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{moment.year}年{moment.month}月{moment.day}日"


def money(value) -> str:
    """A decimal amount as ``1,800,000.00 元``: grouped, never rounded (more places than
    two are shown as they are)."""
    if value in (None, ""):
        return ""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    exponent = amount.as_tuple().exponent
    text = f"{amount:,.2f}" if isinstance(exponent, int) and exponent >= -2 else f"{amount:,}"
    return f"{text} 元"


def word(code, table: str) -> str:
    """The Chinese word of a code in one of the vocabulary's tables (the code itself
    when the table has no word for it, so a new code shows rather than vanishes)."""
    return WORDS[table].get(code, code) if code is not None else ""


def tone(code) -> str:
    return TONES.get(code, "grey")


MONEY_KEYS = {"total", "allocated", "disbursed", "cancelled", "recovered", "remaining", "amount"}
WORD_KEYS = {"role": "roles", "kind": "kinds", "state": "account_states", "service": "services",
             "basis": "bases_of_decision", "grade": "grades", "task": "tasks"}


def cell(value, key: str) -> Markup:
    """A table cell as a person reads it, by what its column holds: a status as its
    badge, a time in Beijing time, money in 元, a code as its word."""
    if key in ("status", "state"):
        table = "account_states" if key == "state" else "statuses"
        return Markup('<span class="badge badge-{}">{}</span>').format(tone(value), word(value, table))
    if key.endswith("_at") or key.endswith("deadline"):
        return Markup.escape(beijing(value))
    if key.endswith("_on"):
        return Markup.escape(day(value))
    if key in MONEY_KEYS:
        return Markup.escape(money(value))
    if key in WORD_KEYS:
        return Markup.escape(word(value, WORD_KEYS[key]))
    return Markup.escape("" if value is None else value)


@cache
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(beijing=beijing, day=day, money=money, word=word, tone=tone, cell=cell)
    env.globals.update(words=WORDS, city_options=[(city, city) for city in vocabulary.CITIES],
                       new_form_key=new_form_key, form_key_field=FORM_KEY_FIELD)
    return env


def render(template: str, **context) -> str:
    return environment().get_template(template).render(**context)
