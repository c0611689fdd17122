"""Errors that cross the service boundary, each with its HTTP status and a JSON body.

Domain code raises these too: they are plain exceptions and import nothing.
"""

from typing import Any


class PlatformError(Exception):
    """Base of every error a client may see; ``fields`` names the offending inputs.
    Its JSON body is ``services.backbone.web.error_body``'s."""

    status = 500
    code = "internal_error"
    #: Seconds after which the same request may well succeed (``Retry-After``); None
    #: when repeating it unchanged would be answered the same.
    retry_after: int | None = None

    def __init__(self, message: str, *, fields: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class BadRequest(PlatformError):
    """The request is malformed or fails its schema (a field is missing, unknown, wrong)."""

    status = 400
    code = "bad_request"


class Unauthenticated(PlatformError):
    """No valid bearer token."""

    status = 401
    code = "unauthenticated"


class Forbidden(PlatformError):
    """The actor's role or scope (region, department, base) does not allow this."""

    status = 403
    code = "forbidden"


class NotFound(PlatformError):
    status = 404
    code = "not_found"


class MethodNotAllowed(PlatformError):
    """The path exists, not with this method."""

    status = 405
    code = "method_not_allowed"


class Conflict(PlatformError):
    """The request clashes with existing state (a duplicate, a concurrent change)."""

    status = 409
    code = "conflict"


class ConcurrentChange(Conflict):
    """Other writers changed the same record (a funding envelope, say) each time this
    request was applied, so nothing was written; sent again, it is applied to what they
    wrote. No field of the request is at fault, and none is named: the code and
    ``Retry-After`` tell a client to send it again, which a duplicate's 409 never is."""

    code = "concurrent_change"
    retry_after = 1


class PlanChanged(Conflict):
    """The request named a plan version that is no longer the current one: someone
    filed a newer version (or returned it) since the caller read the plan."""

    code = "plan_changed"


class PayloadTooLarge(PlatformError):
    """The request body exceeds ``services.max_body_bytes``; it was not read."""

    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(PlatformError):
    """The body is not of a type the route reads (JSON, unless the route says otherwise)."""

    status = 415
    code = "unsupported_media_type"


class TooManyRequests(PlatformError):
    """This caller sent more than its share of an unauthenticated write (an objection
    to a public notice) in the window; ``Retry-After`` says when it may again."""

    status = 429
    code = "too_many_requests"
    retry_after = 600


class RuleViolation(PlatformError):
    """Well-formed, but a rule of the programme forbids it now (e.g. plan not approved)."""

    status = 422
    code = "rule_violation"


class Unavailable(PlatformError):
    """Something this answer depends on does not answer now; try again later."""

    status = 503
    code = "unavailable"
    retry_after = 1


def field_error(field: str, message: str, error: type[PlatformError] = RuleViolation):
    """An error about one field, named in both the message and ``fields``."""
    return error(f"{field}: {message}", fields={field: [message]})
