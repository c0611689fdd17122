"""Every request schema of the platform and every field in it, nested ones included:
what the sweeps of the text policy and of the bounds walk through."""

import inspect
from typing import Iterator

from marshmallow import Schema, fields

from services.backbone.eventstore import audit
from services.backbone.ops import endpoints
from services.backbone.web import paging
from services.evaluation import schemas as evaluation
from services.funding import schemas as funding
from services.notifications import schemas as notifications
from services.registry import schemas as registry

# Paging cursors (after, offset, limit) are the read endpoints' own bounds.
PAGING = {"after", "offset", "limit"}


def request_schemas() -> list[type[Schema]]:
    found = [endpoints.DeadLetterAction, endpoints.AnchorIn, audit.AuditQuery, paging.PageQuery]
    for module in (registry, evaluation, funding, notifications):
        found += [cls for name, cls in vars(module).items()
                  if inspect.isclass(cls) and issubclass(cls, Schema) and cls.__module__ == module.__name__
                  and name.endswith(("Request", "Query", "Filter", "Schema", "Change", "Values"))]
    return found


def leaf_fields(schema: type[Schema] | Schema, path: str = "") -> Iterator[tuple[str, fields.Field]]:
    """(dotted path, field) for every field a request can carry, through Nested, List
    and Dict."""
    instance = schema() if inspect.isclass(schema) else schema
    for name, field in instance.fields.items():
        if name in PAGING:
            continue
        yield from _leaves(field, f"{path}{name}")


def _leaves(field: fields.Field, path: str) -> Iterator[tuple[str, fields.Field]]:
    if isinstance(field, fields.Nested):
        yield from leaf_fields(field.schema, f"{path}.")
    elif isinstance(field, fields.List):
        yield from _leaves(field.inner, f"{path}[]")
    elif isinstance(field, fields.Dict):
        if field.key_field is not None:
            yield from _leaves(field.key_field, f"{path}{{key}}")
        if field.value_field is not None:
            yield from _leaves(field.value_field, f"{path}{{value}}")
    else:
        yield path, field
