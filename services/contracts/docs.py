"""Renders docs/events.md from the catalogue, so the document cannot drift from the code.

``sc docs-events > docs/events.md``; a unit test fails when the file is stale.
"""

import json

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from marshmallow import fields

from .catalog import CATALOG
from .envelope import ActorSchema, EnvelopeSchema
from .signing import Signer
from .fields import ExactDecimal


EXAMPLE_SIGNER = Signer("evaluation", Ed25519PrivateKey.from_private_bytes(bytes([1]) * 32))


def example_message() -> dict:
    """One whole message as a consumer receives it: the envelope around the example
    payload of BaseAdjusted (the unit tests load it, so it stays valid), signed with the
    example key."""
    return EXAMPLE_SIGNER.sign({
        "event_id": "9b1f0c2e-4d3a-5f6b-8c7d-0e1f2a3b4c5d",
        "type": "BaseAdjusted",
        "schema_version": CATALOG["BaseAdjusted"].current_version,
        "source": "evaluation",
        "position": 42,
        "previous_position": 40,
        "occurred_at": "2017-11-20T10:30:00+08:00",
        "actor": {"id": "7c3d2e1f-0a9b-4c8d-9e7f-6a5b4c3d2e1f", "role": "drc", "name": "省发展改革委"},
        "correlation_id": "1d2e3f4a-5b6c-4d7e-8f9a-0b1c2d3e4f5a",
        "payload": CATALOG["BaseAdjusted"].example,
    })


def _field_type(field: fields.Field) -> str:
    if isinstance(field, fields.Nested):
        return f"object ({field.nested.__name__ if isinstance(field.nested, type) else 'nested'})"
    if isinstance(field, fields.List):
        return f"list of {_field_type(field.inner)}"
    if isinstance(field, ExactDecimal):
        return "decimal string"
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
        "Generated from `services/contracts` by `sc docs-events`; do not edit by hand. The",
        "same events as an AsyncAPI 3.0 document (channels, messages per schema version, JSON",
        "Schemas of envelope and payloads): `docs/asyncapi.json`, by `sc docs-asyncapi`.",
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
        "`actor`, who caused the event (the authenticated actor of the command, or the",
        "platform itself for what a timer or a reaction decided):",
        "",
        "| field | type | |",
        "|---|---|---|",
        *_field_rows(ActorSchema),
        "",
        "## Signatures",
        "",
        "Only a source speaks for itself. Its envelopes carry `signature`: `alg` `Ed25519`,",
        "`key_id` (the first 16 hex digits of the SHA-256 of the key's 32 raw bytes) and",
        "`value` (base64), the source's signature of the envelope's canonical JSON: every",
        "member but `signature`, keys sorted, no spaces (`separators=(',', ':')`), UTF-8,",
        "non-ASCII characters as themselves (the envelope holds no floats). A service signs",
        "what it publishes and every copy it serves from its log (personal data withheld",
        "first, where the reader may not see it). On the broker the AMQP property `user_id`",
        "names the source's broker user, which RabbitMQ checks against the connection.",
        "Consumers hold the sources' public keys (several during a rotation) and refuse,",
        "dead-letter and count (`forged`) a message that fails either check; it never moves a",
        "position. `services/contracts/signing.py` verifies: `Keyring.verify(message, source)`.",
        "The example below is signed with an example key (seed of 32 bytes 0x01).",
        "",
        "A whole message, as the broker delivers it (AMQP properties: `message_id` = event id,",
        "`correlation_id`, `user_id` = the source's broker user, `delivery_mode` 2",
        "(persistent), `content_type` application/json; headers `source`, `position`, `type`,",
        "`schema_version`):",
        "",
        "```json",
        json.dumps(example_message(), ensure_ascii=False, indent=2),
        "```",
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
