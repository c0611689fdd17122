"""Events published by the evaluation service (batches, selection, adjustment decisions)."""

from decimal import Decimal

from marshmallow import fields, post_load, validate, validates_schema, ValidationError

from .catalog import contract, upcaster
from .common import Strict
from .decisions import DocumentNumber, DocumentRefSchema, check_published
from .fields import ExactDecimal, LoggedName, Timestamp
from .vocabulary import GRADES, STATUSES

BASES_OF_DECISION = ("selection", "evaluation", "rectification", "deadline", "review")
# version 2: "record" (entered from a government document), "notice" (stood after 公示)
BASES_OF_DECISION_V2 = BASES_OF_DECISION + ("record", "notice")


@contract("BatchOpened", source="evaluation", version=1, example={
    "batch_id": "9d3e7c52-1f0a-4c7b-8e21-2017a0000001",
    "name": "2017年第一批",
    "opens_at": "2017-03-01T00:00:00+08:00",
    "closes_at": "2017-06-30T23:59:59+08:00",
    "quota": 12,
})
class BatchOpenedV1(Strict):
    """The DRC opened a declaration batch (申报批次) with its window and quota."""

    batch_id = fields.UUID(required=True)
    name = LoggedName()
    opens_at = Timestamp(required=True)
    closes_at = Timestamp(required=True)
    quota = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=1000))

    @validates_schema
    def _window_is_ordered(self, data, **kwargs):
        if data.get("opens_at") and data.get("closes_at") and data["closes_at"] <= data["opens_at"]:
            raise ValidationError("Must be after opens_at.", field_name="closes_at")


@contract("BatchClosed", source="evaluation", version=1, example={
    "batch_id": "9d3e7c52-1f0a-4c7b-8e21-2017a0000001",
})
class BatchClosedV1(Strict):
    """The DRC closed a declaration batch; no more declarations join it."""

    batch_id = fields.UUID(required=True)


@contract("BaseAdjusted", source="evaluation", version=1, example={
    "base_id": "3a6f6f0e-2b8e-5b43-9d0a-6c1f1d2e9b01",
    "from_status": "declared",
    "to_status": "certified",
    "reason": "综合评分 91.50，列第 2 名，在 12 个名额内，认定为首批省级双创示范基地",
    "basis": "selection",
    "batch_id": "9d3e7c52-1f0a-4c7b-8e21-2017a0000001",
    "round_id": None,
    "score": "91.50",
    "grade": None,
    "rubric_version": "university-2017.1",
    "policy_version": None,
    "rectification_deadline": None,
})
class BaseAdjustedV1(Strict):
    """A decision changed the status of record of a base: certified or not selected after
    selection, or retained / warned / revoked / recommended after evaluation (动态调整)."""

    base_id = fields.UUID(required=True)
    from_status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    to_status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    reason = LoggedName(max_length=1000)
    basis = fields.String(required=True, validate=validate.OneOf(BASES_OF_DECISION))
    batch_id = fields.UUID(load_default=None, allow_none=True)
    round_id = fields.UUID(load_default=None, allow_none=True)
    score = ExactDecimal(load_default=None, allow_none=True, minimum=Decimal(0), maximum=Decimal(100))
    grade = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(GRADES))
    rubric_version = fields.String(load_default=None, allow_none=True)
    policy_version = fields.String(load_default=None, allow_none=True)
    rectification_deadline = Timestamp(load_default=None, allow_none=True)


@contract("BaseAdjusted", source="evaluation", version=2, example={
    "base_id": "3a6f6f0e-2b8e-5b43-9d0a-6c1f1d2e9b01",
    "from_status": "declared",
    "to_status": "certified",
    "reason": "经山西省人民政府办公厅文件认定为首批省级双创示范基地",
    "basis": "record",
    "batch_id": "9d3e7c52-1f0a-4c7b-8e21-2017a0000001",
    "round_id": None,
    "score": None,
    "grade": None,
    "rubric_version": None,
    "policy_version": None,
    "rectification_deadline": None,
    "effective_on": "2017-09-07",
    "entered_at": "2026-12-08T09:30:00+08:00",
    "document_number": "晋政办发〔2017〕105号",
    "document": {"sha256": "5d41402abc4b2a76b9719d911017c592" * 2, "name": "首批省级双创示范基地名单.pdf"},
    "status_after": "certified",
})
class BaseAdjustedV2(BaseAdjustedV1):
    """A decision on a base, with the date it takes effect and, once published, its
    document number (文号) and document (by sha256); ``basis`` ``record`` is a decision
    taken outside the platform and entered by the DRC (no scores); ``notice`` one that
    stood after its public notice (公示).

    Version 2 (2026): ``effective_on`` (a Beijing date; deadlines count from it),
    ``entered_at`` (when it was typed in), ``document_number`` and ``document`` (both
    or neither), and ``status_after``: the base's status once this decision is placed
    in order of effective date. It differs from ``to_status`` when the decision is
    dated before decisions already recorded and they no longer apply after it; a
    consumer keeping the status of record takes ``status_after``. Version 1 events are
    read with no dates, no document, and ``status_after`` equal to ``to_status``."""

    basis = fields.String(required=True, validate=validate.OneOf(BASES_OF_DECISION_V2))
    effective_on = fields.Date(load_default=None, allow_none=True)
    entered_at = Timestamp(load_default=None, allow_none=True)
    document_number = DocumentNumber(load_default=None, allow_none=True)
    document = fields.Nested(DocumentRefSchema, load_default=None, allow_none=True)
    status_after = fields.String(load_default=None, allow_none=True,
                                 validate=validate.OneOf(STATUSES))

    @validates_schema
    def _published_with_both(self, data, **kwargs):
        check_published(data)

    @post_load
    def _last_word_unless_said(self, data, **kwargs):
        """A decision that says nothing of what follows it is the last word."""
        return {**data, "status_after": data.get("status_after") or data["to_status"]}


@upcaster("BaseAdjusted", from_version=1)
def base_adjusted_v1_to_v2(payload: dict) -> dict:
    """A version 1 decision took effect when it was published, and was the last word."""
    return {**payload, "effective_on": None, "entered_at": None, "document_number": None,
            "document": None, "status_after": payload["to_status"]}


ROUND_KINDS = {
    "inspection": "督促检查",
    "third_party": "第三方评估",
}


class GradeSchema(Strict):
    """A base's grade in an evaluation round, the score that earned it and the rubric."""

    base_id = fields.UUID(required=True)
    score = ExactDecimal(required=True, minimum=Decimal(0), maximum=Decimal(100))
    grade = fields.String(required=True, validate=validate.OneOf(GRADES))
    rubric_version = fields.String(required=True, validate=validate.Length(min=1, max=64))


@contract("RoundClosed", source="evaluation", version=1, example={
    "round_id": "4c2b7e1a-9f3d-5e8c-a1b2-2018a0000001",
    "kind": "third_party",
    "name": "2018年上半年第三方评估",
    "period": "2018H1",
    "policy_version": "adjustment-2018.1",
    "closed_at": "2018-06-29T17:00:00+08:00",
    "grades": [
        {"base_id": "3a6f6f0e-2b8e-5b43-9d0a-6c1f1d2e9b01", "score": "91.50",
         "grade": "excellent", "rubric_version": "university-2017.1"},
        {"base_id": "7d1e2f3a-4b5c-5d6e-8f90-a1b2c3d4e5f6", "score": "57.25",
         "grade": "unqualified", "rubric_version": "regional-2017.1"},
    ],
})
class RoundClosedV1(Strict):
    """An evaluation round (督促检查 or 第三方评估) of the bases in good standing closed with
    a grade for each; the decision each grade led to follows as a BaseAdjusted event with
    this round_id and policy_version."""

    round_id = fields.UUID(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(ROUND_KINDS))
    name = LoggedName()
    period = fields.String(required=True, validate=validate.Regexp(r"^20\d\dH[12]$"))
    policy_version = fields.String(required=True, validate=validate.Length(min=1, max=64))
    closed_at = Timestamp(required=True)
    grades = fields.List(fields.Nested(GradeSchema), required=True,
                         validate=validate.Length(min=1))


class WithdrawnSchema(Strict):
    """A base of the round that was no longer a demonstration base when the round closed
    (revoked meanwhile): not graded, with the reason."""

    base_id = fields.UUID(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    reason = LoggedName(max_length=500)


@contract("RoundClosed", source="evaluation", version=2, example={
    "round_id": "4c2b7e1a-9f3d-5e8c-a1b2-2018a0000001",
    "kind": "inspection",
    "name": "2018年下半年督促检查",
    "period": "2018H2",
    "policy_version": "adjustment-2018.1",
    "policy_reason": None,
    "closed_at": "2018-12-20T17:00:00+08:00",
    "grades": [
        {"base_id": "3a6f6f0e-2b8e-5b43-9d0a-6c1f1d2e9b01", "score": "88.00",
         "grade": "good", "rubric_version": "university-2017.1"},
    ],
    "withdrawn": [
        {"base_id": "7d1e2f3a-4b5c-5d6e-8f90-a1b2c3d4e5f6", "status": "revoked",
         "reason": "本轮评估结束前已撤销（未在整改期限（2018年12月15日）前完成整改并通过验收，"
                   "撤销省级双创示范基地资格），不参加本轮评定"},
    ],
})
class RoundClosedV2(RoundClosedV1):
    """An evaluation round (督促检查 or 第三方评估) of the bases in good standing closed with
    a grade for each base still a demonstration base; the decision each grade led to
    follows as a BaseAdjusted event with this round_id and policy_version.

    Version 2 (2018): a base revoked while the round was open (a missed rectification
    deadline) is listed in ``withdrawn`` with the reason instead of being graded, so
    ``grades`` may be empty when no base was left to grade; ``policy_reason`` is why the
    DRC applied the policy version it did, when it said (it must for a version other
    than the one in force). Version 1 events are read with no withdrawals and no reason."""

    grades = fields.List(fields.Nested(GradeSchema), required=True)
    withdrawn = fields.List(fields.Nested(WithdrawnSchema), required=True)
    policy_reason = fields.String(load_default=None, allow_none=True,
                                  validate=validate.Length(min=1, max=500))


@upcaster("RoundClosed", from_version=1)
def round_closed_v1_to_v2(payload: dict) -> dict:
    """A version 1 round graded every base it had: nothing was withdrawn."""
    return {**payload, "withdrawn": []}
