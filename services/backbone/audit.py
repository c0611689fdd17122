"""Events as audit entries: what happened, when, who did it, in which capacity, and why."""

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from .context import Context

_ENVELOPE_ATTRIBUTES = ("originator_id", "originator_version", "timestamp", "ctx",
                        "originator_topic")


def describe_event(event) -> dict:
    """An aggregate event as an audit entry: type, version, time, actor and its data."""
    data = {key: value for key, value in vars(event).items() if key not in _ENVELOPE_ATTRIBUTES}
    ctx: Context = event.ctx
    return {
        "event": type(event).__name__,
        "aggregate_id": event.originator_id,
        "version": event.originator_version,
        "at": event.timestamp,
        "actor": {"id": ctx.actor_id, "role": ctx.role, "name": ctx.name},
        "correlation_id": ctx.correlation_id,
        "data": data,
    }


def jsonable(value):
    """Plain JSON types for audit data: UUIDs, money and times as strings."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (UUID, Decimal)):
        return str(value)
    if isinstance(value, Context):
        return jsonable(value.as_dict())
    return value
