"""Request and response shapes of decisions of record: dates, document numbers (文号),
documents, timelines and statuses on a date."""

from marshmallow import Schema, fields, validate

from services.backbone.web.answers import listing
from services.contracts.decisions import DecisionOfRecord, DocumentNumber, DocumentRefSchema
from services.contracts.fields import Day
from services.contracts.text import FreeText

from .records import RECORDED
from .schemas import DecisionOut, Strict


class CertificationOfRecordRequest(DecisionOfRecord):
    """POST /batches/<id>/certification-of-record: the bases a government document
    certifies (the others of the batch are not selected), its date, 文号 and document."""

    base_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(min=1, max=1000))
    effective_on = Day(required=True)
    document_number = DocumentNumber(required=True)
    document = fields.Nested(DocumentRefSchema, required=True)
    reason = FreeText(max_length=500)


class DecisionOfRecordRequest(DecisionOfRecord):
    """POST /bases/<id>/decision-of-record: a decision on one base taken outside the
    platform, from its document (a warning's deadline: the document's, or the policy's
    period from its date)."""

    to_status = fields.String(required=True, validate=validate.OneOf(RECORDED))
    reason = FreeText(max_length=1000, required=True, blank=False)
    effective_on = Day(required=True)
    document_number = DocumentNumber(required=True)
    document = fields.Nested(DocumentRefSchema, required=True)
    rectification_deadline = Day(load_default=None, allow_none=True)


class PublicationRequest(Strict):
    """POST /bases/<id>/decisions/<number>/publication: the 文号 and document of a
    decision taken as proposed."""

    document_number = DocumentNumber(required=True)
    document = fields.Nested(DocumentRefSchema, required=True)


class StatusOnQuery(Strict):
    """GET /bases/status-on?as_of=2018-01-01[&base_id=]: a Beijing date (the registry's
    ``as_of`` is a moment; here decisions count by their effective date)."""

    as_of = Day(required=True)
    base_id = fields.UUID(load_default=None)


class TimelineEntryOut(DecisionOut):
    """A decision at its place in effective order."""

    status_before = fields.String()
    in_effect = fields.Boolean()


class StatusOnOut(Schema):
    base_id = fields.UUID()
    name = fields.String()
    kind = fields.String()
    batch_id = fields.UUID()
    status = fields.String()


class PublicationOut(Schema):
    """A decision given its 文号 and document: the base, its place, the record."""

    base_id = fields.UUID(required=True)
    number = fields.Integer(required=True)
    document_number = fields.String(required=True)
    document = fields.Nested(DocumentRefSchema, required=True)


# The answers that wrap rows, named for the OpenAPI document.
DecisionsOfRecord = listing("DecisionsOfRecord", "decisions", DecisionOut)
Timeline = listing("Timeline", "decisions", TimelineEntryOut, base_id=fields.UUID(required=True))
StatusesOn = listing("StatusesOn", "bases", StatusOnOut, as_of=fields.Date(required=True))
