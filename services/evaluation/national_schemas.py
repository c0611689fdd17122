"""Request and response shapes of the national recommendation (推荐申报国家级): opening a
call, choosing its candidates, its public notice, the submission and each outcome."""

from marshmallow import Schema, fields, validate

from services.backbone.web.answers import listing
from services.contracts.common import Strict
from services.contracts.decisions import DocumentNumber
from services.contracts.fields import Count, Day
from services.contracts.text import FreeText, Name
from services.contracts.vocabulary import GRADES

from .notice_desk import NOTICE_DAYS


class OpenNationalCallRequest(Strict):
    """POST /national-calls: the year, the quota, and the criteria (the minimum grade in
    a closed round; by default 优秀 in the round that closed last)."""

    year = Count(minimum=2015, maximum=2100, required=True)
    quota = Count(minimum=1, maximum=100, required=True)
    minimum_grade = fields.String(load_default="excellent", validate=validate.OneOf(GRADES))
    round_id = fields.UUID(load_default=None, allow_none=True)


class ChosenSchema(Strict):
    base_id = fields.UUID(required=True)
    reason = FreeText(max_length=1000, required=True, blank=False)


class ChooseCandidatesRequest(Strict):
    """POST /national-calls/<id>/candidates: the bases chosen, each with its reason."""

    candidates = fields.List(fields.Nested(ChosenSchema), required=True,
                             validate=validate.Length(min=1, max=100))


class NationalNoticeRequest(Strict):
    """POST /national-calls/<id>/notice: the public notice of the candidates."""

    title = Name(max_length=200)
    working_days = Count(minimum=NOTICE_DAYS[0], maximum=NOTICE_DAYS[1], load_default=5)
    starts_on = Day(load_default=None, allow_none=True)
    contact = Name(max_length=200)


class SubmitNationalRequest(Strict):
    """POST /national-calls/<id>/submission: the DRC's document submitting the list."""

    document_number = DocumentNumber(required=True)
    submitted_on = Day(required=True)


class NationalOutcomeRequest(Strict):
    """POST /national-calls/<id>/outcomes: the national decision on a submitted base
    (selected: cite the national document, 文号; not selected: the document if any)."""

    base_id = fields.UUID(required=True)
    selected = fields.Boolean(required=True, truthy={True}, falsy={False})
    document_number = DocumentNumber(load_default=None, allow_none=True)
    effective_on = Day(required=True)
    reason = FreeText(max_length=1000, required=True, blank=False)


class CandidateOut(Schema):
    base_id = fields.UUID()
    name = fields.String()
    grade = fields.String()
    score = fields.Decimal(as_string=True)
    reason = fields.String()


class EligibleOut(Schema):
    base_id = fields.UUID()
    name = fields.String()
    grade = fields.String()
    score = fields.Decimal(as_string=True)


class OutcomeOut(Schema):
    base_id = fields.UUID()
    selected = fields.Boolean()
    document_number = fields.String(allow_none=True)
    effective_on = Day()


class NationalCallOut(Schema):
    """A call: its criteria, its stage, its candidates, its notice, what the notice
    left standing, the outcomes; while open, the bases still eligible."""

    call_id = fields.UUID()
    year = fields.Integer()
    quota = fields.Integer()
    minimum_grade = fields.String()
    round_id = fields.UUID()
    round_name = fields.String()
    stage = fields.String()
    candidates = fields.List(fields.Nested(CandidateOut))
    notice_id = fields.UUID(allow_none=True)
    standing = fields.List(fields.UUID())
    outcomes = fields.List(fields.Nested(OutcomeOut))
    eligible = fields.List(fields.Nested(EligibleOut))


NationalCalls = listing("NationalCalls", "calls", NationalCallOut)
