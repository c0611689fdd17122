"""Events of the national recommendation (推荐申报国家级双创示范基地, issue 27 §3): the
DRC opens a call for a year with its quota and criteria, chooses candidates among the
eligible bases with reasons, puts them under public notice (NoticePublished /
NoticeConcluded, purpose ``national_recommendation``), submits the list, and records
the national outcome per base. Published by the evaluation service; departments may
subscribe to each step.

A base's national standing is a dimension of its own, beside its provincial status:
these events never change the provincial status (no BaseAdjusted follows them).
"""

from decimal import Decimal

from marshmallow import fields, validate

from .catalog import contract
from .common import Strict
from .decisions import DocumentNumber
from .fields import Day, ExactDecimal, LoggedName, Timestamp
from .vocabulary import GRADES

CALL_ID = "7e1f2a3b-4c5d-5e6f-8a9b-2019c0000001"
BASE_ID = "3a6f6f0e-2b8e-5b43-9d0a-6c1f1d2e9b01"
ROUND_ID = "0b7a1c2d-3e4f-5a6b-8c9d-2018d0000001"
NATIONAL_STATUSES = {
    "candidate": "拟推荐",
    "withdrawn": "公示后撤出",
    "recommended": "已推荐申报",
    "selected": "入选国家级双创示范基地",
    "not_selected": "未入选国家级",
}


class CandidateSchema(Strict):
    """A base the DRC chose to recommend, its grade in the call's round, and why."""

    base_id = fields.UUID(required=True)
    name = LoggedName()
    grade = fields.String(required=True, validate=validate.OneOf(GRADES))
    score = ExactDecimal(required=True, minimum=Decimal(0), maximum=Decimal(100))
    reason = LoggedName(max_length=1000)


class PassedOverSchema(Strict):
    """An eligible base the DRC did not choose, and why."""

    base_id = fields.UUID(required=True)
    name = LoggedName()
    reason = LoggedName(max_length=1000)


@contract("NationalCallOpened", source="evaluation", version=1, example={
    "call_id": CALL_ID, "year": 2019, "quota": 2, "minimum_grade": "excellent",
    "round_id": ROUND_ID, "round_name": "2018年第三方评估", "opened_at": "2019-03-01T09:00:00+08:00",
})
class NationalCallOpenedV1(Strict):
    """The DRC opened the year's call to recommend bases for national level: at most
    ``quota`` bases, among those graded ``minimum_grade`` or better in the round."""

    call_id = fields.UUID(required=True)
    year = fields.Integer(required=True, strict=True, validate=validate.Range(min=2015, max=2100))
    quota = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=100))
    minimum_grade = fields.String(required=True, validate=validate.OneOf(GRADES))
    round_id = fields.UUID(required=True)
    round_name = LoggedName(max_length=200)
    opened_at = Timestamp(required=True)


@contract("NationalCandidatesChosen", source="evaluation", version=1, example={
    "call_id": CALL_ID, "year": 2019,
    "candidates": [{"base_id": BASE_ID, "name": "中北大学", "grade": "excellent",
                    "score": "93.50", "reason": "2018年第三方评估优秀，成果转化突出"}],
    "passed_over": [], "chosen_at": "2019-03-10T09:00:00+08:00",
})
class NationalCandidatesChosenV1(Strict):
    """The DRC chose the candidates of a call among its eligible bases, each with its
    reason; the eligible bases it passed over, with why. The list goes to public notice."""

    call_id = fields.UUID(required=True)
    year = fields.Integer(required=True, strict=True)
    candidates = fields.List(fields.Nested(CandidateSchema), required=True,
                             validate=validate.Length(min=1, max=100))
    passed_over = fields.List(fields.Nested(PassedOverSchema), required=True)
    chosen_at = Timestamp(required=True)


@contract("NationalRecommendationSubmitted", source="evaluation", version=1, example={
    "call_id": CALL_ID, "year": 2019, "base_ids": [BASE_ID],
    "document_number": "晋发改创新发〔2019〕88号", "submitted_on": "2019-04-02",
    "submitted_at": "2019-04-02T10:00:00+08:00",
})
class NationalRecommendationSubmittedV1(Strict):
    """The DRC submitted the call's list (the candidates the notice left standing) to
    the national authorities, by the document cited."""

    call_id = fields.UUID(required=True)
    year = fields.Integer(required=True, strict=True)
    base_ids = fields.List(fields.UUID(), required=True)
    document_number = DocumentNumber(required=True)
    submitted_on = Day(required=True)
    submitted_at = Timestamp(required=True)


@contract("NationalOutcomeRecorded", source="evaluation", version=1, example={
    "call_id": CALL_ID, "year": 2019, "base_id": BASE_ID, "selected": True,
    "document_number": "发改高技〔2019〕1254号", "effective_on": "2019-07-15",
    "reason": "入选第三批国家级双创示范基地", "recorded_at": "2019-07-20T10:00:00+08:00",
})
class NationalOutcomeRecordedV1(Strict):
    """The national outcome for a submitted base: selected as a national base (by the
    national document cited, in effect from ``effective_on``) or not selected."""

    call_id = fields.UUID(required=True)
    year = fields.Integer(required=True, strict=True)
    base_id = fields.UUID(required=True)
    selected = fields.Boolean(required=True)
    document_number = DocumentNumber(load_default=None, allow_none=True)
    effective_on = Day(required=True)
    reason = LoggedName(max_length=1000)
    recorded_at = Timestamp(required=True)
