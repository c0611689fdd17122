"""Renders docs/events.md from the catalogue, so the document cannot drift from the code.

``sc docs-events > docs/events.md``; a unit test fails when the file is stale.
"""

import json

from marshmallow import fields

from .catalog import CATALOG
from .envelope import EnvelopeSchema


def _field_type(field: fields.Field) -> str:
    if isinstance(field, fields.Nested):
        return f"object ({field.nested.__name__ if isinstance(field.nested, type) else 'nested'})"
    if isinstance(field, fields.List):
        return f"list of {_field_type(field.inner)}"
    return type(field).__name__.replace("AwareDateTime", "timestamp (with zone)")


def _field_rows(schema_cls) -> list[str]:
    rows = []
    for name, field in schema_cls().fields.items():
        required = "required" if field.required else "optional"
        rows.append(f"| `{name}` | {_field_type(field)} | {required} |")
    return rows


def render() -> str:
    lines = [
        "# Integration events",
        "",
        "Generated from `services/contracts` by `sc docs-events`; do not edit by hand.",
        "",
        "Every event travels in the same envelope, on the broker (exchange",
        "`<ns>.<source>.events`, topic, routing key = event type, persistent, message id =",
        "event id) and from each service's log (`GET /events?after=N`, RPC `events_after`).",
        "Unknown fields are refused everywhere; timestamps carry their zone; money is a",
        "decimal string with two places. `position` is the event's place in its source's log;",
        "`previous_position` is the position of the event the source published before it, so",
        "a consumer that has applied less than that knows it missed something.",
        "",
        "## Envelope",
        "",
        "| field | type | |",
        "|---|---|---|",
        *_field_rows(EnvelopeSchema),
        "",
    ]
    for event_type in sorted(CATALOG, key=lambda t: (CATALOG[t].source, t)):
        spec = CATALOG[event_type]
        version = spec.current_version
        lines += [
            f"## {event_type}",
            "",
            spec.description,
            "",
            f"- source: `{spec.source}`; exchange `<ns>.{spec.source}.events`; routing key `{spec.routing_key}`",
            f"- schema version: {version}"
            + (f" (older versions read and upcast: {', '.join(str(v) for v in sorted(spec.schemas) if v != version)})"
               if len(spec.schemas) > 1 else ""),
            *([f"- personal data: {', '.join(f'`{f}`' for f in spec.personal)}; null in the copies "
               "read by people who do not work with the base, which list them in `withheld` "
               "(`load_event(message, allow_withheld=True)` reads those)"] if spec.personal else []),
            "",
            "| field | type | |",
            "|---|---|---|",
            *_field_rows(spec.schemas[version]),
            "",
            "Example payload:",
            "",
            "```json",
            json.dumps(spec.example, ensure_ascii=False, indent=2),
            "```",
            "",
        ]
    return "\n".join(lines)
