"""Request and response shapes of public notices (公示) and objections. The public
shapes carry no objector's data; only the DRC's reading of a notice does."""

from marshmallow import Schema, fields, validate

from services.backbone.web.answers import listing
from services.contracts.common import Strict
from services.contracts.decisions import DocumentRefSchema
from services.contracts.fields import Count, Day, Timestamp
from services.contracts.notices import NOTICE_PURPOSES
from services.contracts.text import FreeText, Name

from .notice_desk import NOTICE_DAYS


class PublishNoticeRequest(Strict):
    """POST /notices: the proposed list, its period in working days, the contact for
    objections; a certification notice names its batch."""

    title = Name(max_length=200)
    purpose = fields.String(required=True, validate=validate.OneOf(NOTICE_PURPOSES))
    batch_id = fields.UUID(load_default=None, allow_none=True)
    base_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(min=1, max=1000))
    working_days = Count(minimum=NOTICE_DAYS[0], maximum=NOTICE_DAYS[1], load_default=5)
    starts_on = Day(load_default=None, allow_none=True)
    contact = Name(max_length=200)


class ObjectorSchema(Strict):
    """Who objects and how to reach them: kept for the DRC, never shown or published."""

    name = Name(max_length=50)
    contact = Name(max_length=100)


class ObjectionRequest(Strict):
    """POST /notices/<id>/objections (no sign-in): the base objected to, who objects,
    the objection, and up to 5 supporting documents by reference."""

    base_id = fields.UUID(required=True)
    objector = fields.Nested(ObjectorSchema, required=True)
    text = FreeText(max_length=2000, required=True, blank=False)
    documents = fields.List(fields.Nested(DocumentRefSchema), load_default=list,
                            validate=validate.Length(max=5))


class AnswerRequest(Strict):
    """POST /notices/<id>/objections/<objection_id>/answer: upheld or dismissed, why."""

    upheld = fields.Boolean(required=True, truthy={True}, falsy={False})  # JSON true or false only
    reasons = FreeText(max_length=2000, required=True, blank=False)


class NoticeEntryOut(Schema):
    base_id = fields.UUID()
    name = fields.String()
    to_status = fields.String()
    reason = fields.String()


class NoticeOut(Schema):
    """A notice as anyone may read it."""

    notice_id = fields.UUID()
    title = fields.String()
    purpose = fields.String()
    batch_id = fields.UUID(allow_none=True)
    entries = fields.List(fields.Nested(NoticeEntryOut))
    starts_on = fields.Date()
    working_days = fields.Integer()
    ends_at = Timestamp()
    calendar_version = fields.String()
    contact = fields.String()
    objections_received = fields.Integer()


class ObjectorOut(Schema):
    name = fields.String()
    contact = fields.String()


class ObjectionAnswerOut(Schema):
    upheld = fields.Boolean()
    reasons = fields.String()
    answered_at = Timestamp()


class ObjectionOut(Schema):
    objection_id = fields.UUID()
    base_id = fields.UUID()
    lodged_at = Timestamp()
    objector = fields.Nested(ObjectorOut)
    text = fields.String()
    documents = fields.List(fields.Nested(DocumentRefSchema))
    answer = fields.Nested(ObjectionAnswerOut, allow_none=True)


class WithdrawnOut(Schema):
    """A base an upheld objection took off the list, and why."""

    base_id = fields.UUID()
    objection_id = fields.UUID()
    reason = fields.String()


class NoticeDetailOut(NoticeOut):
    """A notice as the DRC reads it: every objection, who lodged it, the answer."""

    objections = fields.List(fields.Nested(ObjectionOut))
    concluded_at = Timestamp(allow_none=True)
    withdrawn = fields.List(fields.Nested(WithdrawnOut))


class ObjectionLodgedOut(Schema):
    """An objection received: its id, and the notice's."""

    objection_id = fields.UUID(required=True)
    notice_id = fields.UUID(required=True)


# The answer of the current notices, named for the OpenAPI document.
CurrentNotices = listing("CurrentNotices", "notices", NoticeOut)
