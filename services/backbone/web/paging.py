"""One page of a list that grows with the programme: bases (every batch adds some),
assignments, score sheets and decisions (every round adds some per base), deliveries
and inbox items (every event adds some per subscription).

``?limit=&offset=`` on the query, and in the answer ``total`` (all that match), ``offset``,
``limit`` and ``count`` (on this page), so a client knows whether to ask for the next
page, and an inbox's older items stay reachable. The default page holds every base of a
real province many times over; a client listing a benchmark's 100,000 bases pages
instead of receiving tens of megabytes.
"""

from typing import Callable

from marshmallow import fields, validate

from services.contracts.common import Strict
from services.contracts.envelope import MAX_POSITION

DEFAULT_LIMIT = 1000
MAX_LIMIT = 5000


class PageQuery(Strict):
    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_POSITION))


def paged(query: dict, fetch: Callable[..., list]) -> tuple[list, dict]:
    """``fetch(**filters)`` with the query's filters, cut to the page it asks for; and
    what the answer says about the page (``count``, ``total``, ``offset``, ``limit``)."""
    limit, offset = query["limit"], query["offset"]
    rows = fetch(**{key: value for key, value in query.items() if key not in ("limit", "offset")})
    page = rows[offset:offset + limit]
    return page, {"count": len(page), "total": len(rows), "offset": offset, "limit": limit}
