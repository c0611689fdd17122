"""Ids as they come from outside: a request's path, an RPC argument, an event's payload."""

from uuid import UUID

from services.backbone.kernel.errors import BadRequest


def as_uuid(value) -> UUID | None:
    """``value`` as a UUID, or None when it is not one."""
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except (TypeError, ValueError):
        return None


def path_id(value, field: str = "id") -> UUID:
    """An id a caller gave; 400 naming ``field`` when it is not a UUID."""
    found = as_uuid(value)
    if found is None:
        raise BadRequest("Not a valid id.", fields={field: ["Not a valid UUID."]})
    return found
