"""The AsyncAPI 3.0 document of every integration event, built from the catalogue.

A department's developer reads it (or feeds it to AsyncAPI's tools) to learn where each
event travels and what it carries, at every schema version still in a log. It is
written to docs/asyncapi.json by ``sc docs-asyncapi``; a test fails when the committed
file differs from what the contracts generate, and another has the AsyncAPI project's
own parser validate it.
"""

import json

from .catalog import CATALOG, ContractSpec
from .envelope import ActorSchema, EnvelopeSchema, SignatureSchema
from .jsonschema import object_schema

ASYNCAPI_VERSION = "3.0.0"
AMQP_BINDING_VERSION = "0.3.0"
NAMESPACE = "sc"  # infra/config's broker.namespace; another deployment's exchanges differ

RULES = """\
The integration events of the Shanxi provincial mass entrepreneurship and innovation
demonstration bases platform (山西省省级双创示范基地). Each source service publishes its
log to its own topic exchange `<ns>.<source>.events` (`sc` in the shipped configuration),
routing key = event type; messages are persistent JSON, `message_id` = `event_id`,
`correlation_id` the command's, `user_id` the source's broker user (checked by RabbitMQ),
headers `source`, `position`, `type`, `schema_version`. The same envelopes are served
from each source's log over HTTP (`GET /events?after=N`) and RPC (`events_after`).

**Ordering.** `position` is the event's place in its source's log: increasing, not
consecutive. `previous_position` is the position of the event the source published just
before (null for the first), so a consumer that has applied less than it knows it missed
something and reads the missing range from the source's log before going on. Delivery is
at least once; a consumer ignores a position it has applied already.

**Signing.** `signature` is the source's Ed25519 signature (`alg` `Ed25519`, `key_id` the
first 16 hex digits of the SHA-256 of the public key's 32 raw bytes, `value` base64) over
the envelope's canonical JSON: every member but `signature`, keys sorted, separators
`,` and `:` without spaces, UTF-8 with non-ASCII characters as themselves. A message
whose signature or broker user does not match its source is refused.

**Versions.** A channel lists every version of its event still readable from a log;
sources publish the highest. Consumers upcast older payloads on load. Money is a decimal
string with two places, never a number; times carry their offset. Personal fields may be
null in copies served to readers who do not work with the base, which list them in
`withheld` (`payload.<field>`). Unknown fields are refused everywhere."""


def message_name(event_type: str, version: int) -> str:
    return f"{event_type}V{version}"


def document() -> dict:
    """The whole AsyncAPI document, as JSON-ready data, in a stable order."""
    types = sorted(CATALOG, key=lambda t: (CATALOG[t].source, t))
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "id": "urn:shuangchuang:integration-events",
        "info": {
            "title": "双创示范基地 integration events",
            "version": _catalogue_version(),
            "description": RULES,
        },
        "defaultContentType": "application/json",
        "servers": {
            "broker": {
                "host": "localhost:5672",
                "protocol": "amqp",
                "protocolVersion": "0.9.1",
                "description": "The platform's RabbitMQ; each department is given its own user.",
            },
        },
        "channels": {t: _channel(CATALOG[t]) for t in types},
        "operations": {f"publish{t}": _operation(CATALOG[t]) for t in types},
        "components": {
            "schemas": {
                "Actor": object_schema(ActorSchema),
                "Signature": object_schema(SignatureSchema),
                **{message_name(t, v): object_schema(CATALOG[t].schemas[v])
                   for t in types for v in sorted(CATALOG[t].schemas)},
            },
            "messages": {message_name(t, v): _message(CATALOG[t], v)
                         for t in types for v in sorted(CATALOG[t].schemas)},
        },
    }


def _catalogue_version() -> str:
    """Bumps whenever a version of any event is added: the sum of the versions."""
    return f"1.{sum(len(spec.schemas) for spec in CATALOG.values())}.0"


def _channel(spec: ContractSpec) -> dict:
    exchange = f"{NAMESPACE}.{spec.source}.events"
    personal = (f" Personal fields: {', '.join(spec.personal)}." if spec.personal else "")
    audience = "" if spec.deliverable else " For the platform's services only; never sent to a subscription."
    return {
        "address": spec.routing_key,
        "title": spec.type,
        "description": f"Published by {spec.source} on the topic exchange {exchange}, "
                       f"routing key {spec.routing_key}.{personal}{audience}",
        "messages": {f"v{v}": {"$ref": f"#/components/messages/{message_name(spec.type, v)}"}
                     for v in sorted(spec.schemas)},
        "bindings": {"amqp": {
            "is": "routingKey",
            "exchange": {"name": exchange, "type": "topic", "durable": True,
                         "autoDelete": False, "vhost": "/"},
            "bindingVersion": AMQP_BINDING_VERSION,
        }},
    }


def _operation(spec: ContractSpec) -> dict:
    return {
        "action": "send",
        "title": f"{spec.source} publishes {spec.type}",
        "channel": {"$ref": f"#/channels/{spec.type}"},
        "messages": [{"$ref": f"#/channels/{spec.type}/messages/v{spec.current_version}"}],
        "bindings": {"amqp": {"deliveryMode": 2, "mandatory": False,
                              "bindingVersion": AMQP_BINDING_VERSION}},
    }


def _message(spec: ContractSpec, version: int) -> dict:
    current = version == spec.current_version
    summary = spec.description.split("\n\n")[0] if current else \
        f"{spec.type} as logged before version {spec.current_version}; upcast on load."
    message = {
        "name": spec.type,
        "title": f"{spec.type} v{version}",
        "summary": " ".join(summary.split()),
        "contentType": "application/json",
        "correlationId": {"location": "$message.payload#/correlation_id"},
        "headers": _headers(spec, version),
        "payload": _envelope(spec, version),
        "bindings": {"amqp": {"messageType": spec.type,
                              "bindingVersion": AMQP_BINDING_VERSION}},
    }
    if current and spec.example:
        message["examples"] = [{"name": "example", "payload": _example(spec)}]
    return message


def _headers(spec: ContractSpec, version: int) -> dict:
    return {"type": "object", "properties": {
        "source": {"const": spec.source},
        "position": {"type": "integer", "minimum": 1},
        "type": {"const": spec.type},
        "schema_version": {"const": version},
    }, "required": ["source", "position", "type", "schema_version"]}


def _envelope(spec: ContractSpec, version: int) -> dict:
    """The envelope's schema, with this event's type, source, version and payload."""
    envelope = object_schema(EnvelopeSchema)
    properties = envelope["properties"]
    properties["type"] = {"const": spec.type}
    properties["source"] = {"const": spec.source}
    properties["schema_version"] = {"const": version}
    properties["actor"] = {"$ref": "#/components/schemas/Actor"}
    properties["signature"] = {"$ref": "#/components/schemas/Signature"}
    properties["payload"] = {"$ref": f"#/components/schemas/{message_name(spec.type, version)}"}
    properties["withheld"]["items"]["pattern"] = r"^payload\.[a-z_]+$"
    return envelope


def _example(spec: ContractSpec) -> dict:
    """An unsigned envelope around the catalogue's example payload (docs/events.md shows
    a signed one)."""
    return {
        "event_id": "9b1f0c2e-4d3a-5f6b-8c7d-0e1f2a3b4c5d",
        "type": spec.type,
        "schema_version": spec.current_version,
        "source": spec.source,
        "position": 42,
        "previous_position": 40,
        "occurred_at": "2017-11-20T10:30:00+08:00",
        "actor": {"id": "7c3d2e1f-0a9b-4c8d-9e7f-6a5b4c3d2e1f", "role": "drc", "name": "省发展改革委"},
        "correlation_id": "1d2e3f4a-5b6c-4d7e-8f9a-0b1c2d3e4f5a",
        "payload": spec.example,
    }


def render() -> str:
    """docs/asyncapi.json as committed: indented, keys in the order built, Chinese as is."""
    return json.dumps(document(), ensure_ascii=False, indent=2) + "\n"
