"""One page of a list, the same way for every list of the platform: bases (every batch
adds some), assignments, score sheets and decisions (every round adds some per base),
deliveries and inbox items (every event adds some per subscription), and the short
lists (batches, evaluators, rounds, envelopes, subscriptions) alike, so that a client
and the console's table need one way of asking.

``?limit=&offset=`` on the query, and in the answer ``total`` (all that match), ``offset``,
``limit`` and ``count`` (on this page), so a client knows whether to ask for the next
page, and an inbox's older items stay reachable. ``sort=field`` or ``sort=-field``
(descending) among the fields each list names (``SORTABLE``; anything else is a 400
naming ``sort`` and what is accepted); rows that tie, and a list without ``sort``, keep
the list's own order. ``q`` (on the lists that name ``SEARCHED``) keeps the rows one of
whose names contains it, both compared by ``text.comparison_key`` ('启迪（太原）' finds
'启迪(太原)科技园', 'sxu' finds 'SXU'). The default page holds every base of a real
province many times over; a client listing a benchmark's 100,000 bases pages instead
of receiving tens of megabytes.
"""

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from marshmallow import ValidationError, fields, post_load, validate, validates

from services.contracts.common import Strict
from services.contracts.envelope import MAX_POSITION
from services.contracts.text import Name, comparison_key

DEFAULT_LIMIT = 1000
MAX_LIMIT = 5000


@dataclass(frozen=True)
class Sort:
    """A list's order: the row's value at ``path`` (dotted for nested rows)."""

    path: str
    descending: bool

    def apply(self, rows: list) -> list:
        present = [row for row in rows if _at(row, self.path) is not None]
        absent = [row for row in rows if _at(row, self.path) is None]  # last either way
        return sorted(present, key=lambda row: _at(row, self.path), reverse=self.descending) + absent


@dataclass(frozen=True)
class Search:
    """Rows one of whose ``paths`` contains ``key`` once both are compared by key."""

    key: str
    paths: tuple[str, ...]

    def apply(self, rows: list) -> list:
        return [row for row in rows
                if any(self.key in comparison_key(str(_at(row, path) or "")) for path in self.paths)]


def _at(row: Mapping, path: str) -> Any:
    for part in path.split("."):
        row = row.get(part) if isinstance(row, Mapping) else None
    return row


def sortable(*names: str, **paths: str) -> dict[str, str]:
    """The fields a list may be sorted by: each API name and where its row holds it
    (``city="region.city"``)."""
    return {**{name: name for name in names}, **paths}


class PageQuery(Strict):
    """``limit``, ``offset`` and ``sort`` of any list; a list that searches by name
    declares ``q = SearchText()`` and the rows' names in ``SEARCHED``."""

    SORTABLE: dict[str, str] = {}
    SEARCHED: tuple[str, ...] = ()

    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_POSITION))
    sort = fields.String(load_default=None, validate=validate.Regexp(
        r"^-?[a-z_]{1,64}$", error="A field's name, with '-' before it for descending."))

    @validates("sort")
    def _sortable(self, value, **kwargs):
        if value is not None and value.removeprefix("-") not in self.SORTABLE:
            accepted = "、".join(self.SORTABLE) or "nothing: this list has one order"
            raise ValidationError(f"Not a field this list is sorted by; one of: {accepted} "
                                  "(with '-' before it for descending).")

    @post_load
    def _ordering(self, data, **kwargs):
        sort = data.get("sort")
        if sort is not None:
            data["sort"] = Sort(self.SORTABLE[sort.removeprefix("-")], sort.startswith("-"))
        if data.get("q") is not None:
            data["q"] = Search(comparison_key(data["q"]), self.SEARCHED)
        return data


def SearchText() -> fields.String:
    """``q``: part of a name, as a person types it (the text policy's ``Name``)."""
    return Name(max_length=100, required=False, load_default=None)


PAGING = ("limit", "offset", "sort", "q")


def paged(query: dict, fetch: Callable[..., list]) -> tuple[list, dict]:
    """``fetch(**filters)`` with the query's filters, searched, sorted and cut to the
    page it asks for; and what the answer says about the page (``count``, ``total``,
    ``offset``, ``limit``)."""
    limit, offset = query["limit"], query["offset"]
    rows = fetch(**{key: value for key, value in query.items() if key not in PAGING})
    for step in (query.get("q"), query.get("sort")):
        if step is not None:
            rows = step.apply(rows)
    page = rows[offset:offset + limit]
    return page, {"count": len(page), "total": len(rows), "offset": offset, "limit": limit}
