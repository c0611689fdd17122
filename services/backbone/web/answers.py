"""Shapes of the answers that wrap rows or a few values (``{"bases": [...], "total": …}``),
declared once here so that a route can name its answer schema on its decorator."""

from marshmallow import EXCLUDE, INCLUDE, Schema, fields


def answer(name: str, *, more: bool = False, **shape: fields.Field) -> type[Schema]:
    """A named answer schema of ``shape`` (its name is the document's component name);
    ``more``: the answer may carry members beyond these (a report whose parts vary)."""
    meta = type("Meta", (), {"unknown": INCLUDE if more else EXCLUDE})
    return type(name, (Schema,), {**shape, "Meta": meta, "__module__": __name__})


def listing(name: str, key: str, row: type[Schema], *, paged: bool = False, **extra: fields.Field) -> type[Schema]:
    """``{key: [row, ...]}``, with the page's ``count``, ``total``, ``offset`` and
    ``limit`` when ``paged`` (web/paging.py), and ``extra`` fields."""
    shape = {key: fields.List(fields.Nested(row), required=True), **extra}
    if paged:
        shape.update({part: fields.Integer(required=True) for part in ("count", "total", "offset", "limit")})
    return answer(name, **shape)



# Answers of the endpoints every service has (health, readiness, its log).
Health = answer("Health", service=fields.String(required=True), status=fields.String(required=True),
                checks=fields.Dict(), head=fields.Integer(allow_none=True))
Ready = answer("Ready", service=fields.String(required=True), ready=fields.Boolean(required=True),
               checks=fields.Dict(values=fields.String()))
EventsPage = answer("EventsPage", events=fields.List(fields.Dict(), required=True),
                    scanned=fields.Integer(required=True), head=fields.Integer(required=True))
OpenApiDocument = answer("OpenApiDocument", more=True, openapi=fields.String(required=True),
                         paths=fields.Dict(required=True))
Report = answer("Report", more=True)  # ops' reports: their parts are the monitor's, they vary
