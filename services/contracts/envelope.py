"""The envelope every integration event travels in, on the broker and over RPC/HTTP.

``position`` is the event's place in its source service's log (the log's notification
id). Positions are increasing but need not be consecutive: a log also holds events that
are not published, and PostgreSQL sequences skip values on rollback. So each envelope
also names ``previous_position``, the position of the event its source published just
before it (null for the first). A consumer that has applied less than
``previous_position`` knows for certain that it missed something, and pulls the missing
range from the source before going on.
"""

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any
from uuid import UUID

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from .catalog import CATALOG
from .fields import Timestamp
from .vocabulary import ACTOR_ROLES, SERVICES

# Positions are log notification ids, stored by every consumer as a signed 64-bit
# integer (tracking, crash guard, parked events): one beyond could be neither applied
# nor parked, and came back until the broker's delivery limit.
MAX_POSITION = 2**63 - 1
POSITIONS = validate.Range(min=1, max=MAX_POSITION)


class ContractViolation(ValueError):
    """A message or payload does not satisfy its contract; ``messages`` names each field."""

    def __init__(self, messages: dict):
        self.messages = messages
        super().__init__(_flatten(messages))


def _flatten(messages, prefix="") -> str:
    parts = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            parts.append(_flatten(value, f"{prefix}{key}."))
    elif isinstance(messages, list):
        text = "; ".join(str(m) for m in messages if not isinstance(m, (dict, list)))
        nested = [m for m in messages if isinstance(m, (dict, list))]
        if text:
            parts.append(f"{prefix.rstrip('.')}: {text}")
        parts.extend(_flatten(m, prefix) for m in nested)
    else:
        parts.append(f"{prefix.rstrip('.')}: {messages}")
    return "; ".join(p for p in parts if p)


class ActorSchema(Schema):
    """Who caused the event: the authenticated actor of the command (or decision)."""

    class Meta:
        unknown = RAISE

    id = fields.UUID(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ACTOR_ROLES))
    name = fields.String(load_default="", validate=validate.Length(max=100))


class SignatureSchema(Schema):
    """The source's signature of the envelope (``signing.py``): algorithm, key id, value."""

    class Meta:
        unknown = RAISE

    alg = fields.String(required=True, validate=validate.Equal("Ed25519"))
    key_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    value = fields.String(required=True, validate=validate.Length(min=1, max=200))


class EnvelopeSchema(Schema):
    """Fields common to every integration event; ``payload`` is checked per type."""

    class Meta:
        unknown = RAISE

    event_id = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.Length(min=1, max=64))
    schema_version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    source = fields.String(required=True, validate=validate.OneOf(SERVICES))
    position = fields.Integer(required=True, strict=True, validate=POSITIONS)
    previous_position = fields.Integer(required=True, allow_none=True, strict=True, validate=POSITIONS)
    occurred_at = Timestamp(required=True)
    actor = fields.Nested(ActorSchema, required=True)
    correlation_id = fields.UUID(required=True)
    payload = fields.Dict(required=True, keys=fields.String())
    withheld = fields.List(fields.String(), load_default=list)  # "payload.<field>", see load_event
    signature = fields.Nested(SignatureSchema, load_default=None)  # checked by consumers (signing.py)


@cache
def _schema(schema_cls: type[Schema]) -> Schema:
    """One instance per schema class. Building a marshmallow schema copies all its
    fields, which cost as much as loading the message itself; loading and dumping leave
    an instance unchanged, so one serves every message."""
    return schema_cls()


@dataclass(frozen=True)
class ActorRef:
    """The actor recorded on an event (id, role, display name)."""

    id: UUID
    role: str
    name: str = ""


@dataclass(frozen=True)
class IntegrationEvent:
    """A loaded, validated integration event; ``payload`` is at the current version."""

    event_id: UUID
    type: str
    schema_version: int
    source: str
    position: int
    previous_position: int | None
    occurred_at: datetime
    actor: ActorRef
    correlation_id: UUID
    payload: dict[str, Any]
    withheld: tuple[str, ...] = ()  # personal fields left out of this copy (null in payload)
    # The message as its source signed it (when it was read from one): what a consumer
    # dead-letters, so that ops can put it back and it is still the source's.
    signed: dict[str, Any] | None = field(default=None, compare=False, repr=False)

    @property
    def routing_key(self) -> str:
        return self.type

    def to_message(self) -> dict[str, Any]:
        """The JSON-ready form sent on the broker and returned by the log endpoints."""
        schema = _schema(CATALOG[self.type].schemas[self.schema_version])
        return {
            "event_id": str(self.event_id),
            "type": self.type,
            "schema_version": self.schema_version,
            "source": self.source,
            "position": self.position,
            "previous_position": self.previous_position,
            "occurred_at": self.occurred_at.isoformat(),
            "actor": {"id": str(self.actor.id), "role": self.actor.role, "name": self.actor.name},
            "correlation_id": str(self.correlation_id),
            "payload": schema.dump(self.payload),
            **({"withheld": list(self.withheld)} if self.withheld else {}),
        }


def new_event(
    *,
    event_id: UUID,
    type: str,
    source: str,
    position: int,
    previous_position: int | None,
    occurred_at: datetime,
    actor: ActorRef,
    correlation_id: UUID,
    payload: dict[str, Any],
) -> IntegrationEvent:
    """Builds an event at the current version of its type, validating the payload the
    same way a consumer will, so that nothing invalid is ever published."""
    spec = CATALOG.get(type)
    if spec is None:
        raise ContractViolation({"type": [f"Unknown event type {type!r}."]})
    version = spec.current_version
    schema = _schema(spec.schemas[version])
    try:
        loaded = schema.load(schema.dump(payload))
    except ValidationError as error:
        raise ContractViolation({"payload": error.messages}) from None
    return IntegrationEvent(
        event_id=event_id,
        type=type,
        schema_version=version,
        source=source,
        position=position,
        previous_position=previous_position,
        occurred_at=occurred_at,
        actor=actor,
        correlation_id=correlation_id,
        payload=loaded,
    )


def load_event(data: Any, *, allow_withheld: bool = False) -> IntegrationEvent:
    """Validates a message (decoded JSON) and returns the event at its type's current
    version; ContractViolation names each field. Only a reader of copies meant for
    people passes ``allow_withheld``: a service applying one would lose data."""
    if not isinstance(data, dict):
        raise ContractViolation({"_schema": ["The message body must be a JSON object."]})
    try:
        envelope = _schema(EnvelopeSchema).load(data)
    except ValidationError as error:
        raise ContractViolation(error.messages) from None

    spec = CATALOG.get(envelope["type"])
    if spec is None:
        raise ContractViolation({"type": [f"Unknown event type {envelope['type']!r}."]})
    if spec.source != envelope["source"]:
        raise ContractViolation(
            {"source": [f"{spec.type} is published by {spec.source}, not {envelope['source']}."]}
        )
    version = envelope["schema_version"]
    if version not in spec.schemas:
        known = ", ".join(str(v) for v in sorted(spec.schemas))
        raise ContractViolation(
            {"schema_version": [f"Unknown version {version} of {spec.type} (known: {known})."]}
        )

    raw = envelope["payload"]
    withheld = _withheld(spec, envelope, allow_withheld)
    try:
        if withheld:  # at the current version (checked): the rest is validated as usual
            kept = {key: value for key, value in raw.items() if key not in withheld}
            payload = {**_schema(spec.schemas[version]).load(kept, partial=withheld),
                       **dict.fromkeys(withheld)}
        else:
            payload = _schema(spec.schemas[version]).load(raw)  # valid at the version it claims
        if version < spec.current_version:
            for older in range(version, spec.current_version):
                raw = spec.upcasters[older](dict(raw))
            version = spec.current_version
            payload = _schema(spec.schemas[version]).load(raw)
    except ValidationError as error:
        raise ContractViolation({"payload": error.messages}) from None

    actor = envelope["actor"]
    return IntegrationEvent(
        event_id=envelope["event_id"],
        type=spec.type,
        schema_version=version,
        source=envelope["source"],
        position=envelope["position"],
        previous_position=envelope["previous_position"],
        occurred_at=envelope["occurred_at"],
        actor=ActorRef(actor["id"], actor["role"], actor["name"]),
        correlation_id=envelope["correlation_id"],
        payload=payload,
        withheld=tuple(f"payload.{name}" for name in withheld),
        signed=data if envelope["signature"] is not None else None,
    )


def _withheld(spec, envelope: dict, allowed: bool) -> tuple[str, ...]:
    """The payload fields a copy withholds: only personal ones, only null, only at the
    current version, and only for a reader who accepts such copies."""
    entries = envelope["withheld"]
    if not entries:
        return ()
    if not allowed:
        raise ContractViolation({"withheld": [
            "This copy has personal data withheld; services read events whole (from the "
            "broker, or the log with a service token)."]})
    if envelope["schema_version"] != spec.current_version:
        raise ContractViolation({"withheld": [
            f"Only version {spec.current_version} of {spec.type} is sent with fields withheld."]})
    names = []
    for entry in entries:
        name = entry.removeprefix("payload.")
        if not entry.startswith("payload.") or name not in spec.personal:
            raise ContractViolation({"withheld": [
                f"{entry!r} is not a personal field of {spec.type} "
                f"(those are: {', '.join(spec.personal) or 'none'})."]})
        if envelope["payload"].get(name) is not None:
            raise ContractViolation({f"payload.{name}": ["Withheld, so it must be null."]})
        names.append(name)
    return tuple(names)
