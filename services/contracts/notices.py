"""Events of public notice (公示): a proposed list announced for a period of working
days, objections lodged by anyone and answered by the DRC, and the notice concluded
(the decisions stand for the bases no upheld objection withdrew). Published by the
evaluation service; departments may subscribe to each step.

No event carries an objector's name or contact: they stay with the DRC.
"""

from marshmallow import fields, validate

from .catalog import contract
from .common import Strict
from .decisions import DocumentRefSchema
from .fields import LoggedName, Timestamp
from .vocabulary import STATUSES

NOTICE_PURPOSES = {
    "certification": "认定",
    "revocation": "撤销",
    "national_recommendation": "推荐国家级",
}
NOTICE_ID = "5b0c3f1e-7a2d-5c4e-9f10-2018b0000001"
BASE_ID = "3a6f6f0e-2b8e-5b43-9d0a-6c1f1d2e9b01"
OBJECTION_ID = "c1d2e3f4-a5b6-4c7d-8e9f-2018b0000002"


class NoticeEntrySchema(Strict):
    """A base on the proposed list, and the decision proposed for it."""

    base_id = fields.UUID(required=True)
    name = LoggedName()
    to_status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    reason = LoggedName(max_length=1000)


class WithdrawnEntrySchema(Strict):
    """A base withdrawn from the list by an upheld objection."""

    base_id = fields.UUID(required=True)
    objection_id = fields.UUID(required=True)
    reason = LoggedName(max_length=1000)


@contract("NoticePublished", source="evaluation", version=1, example={
    "notice_id": NOTICE_ID, "title": "2018年第二批省级双创示范基地拟认定名单公示",
    "purpose": "certification", "batch_id": "9d3e7c52-1f0a-4c7b-8e21-2018a0000002",
    "entries": [{"base_id": BASE_ID, "name": "中北大学", "to_status": "certified",
                 "reason": "综合评分 85.40，列第 2 名"}],
    "starts_on": "2018-11-05", "working_days": 5, "ends_at": "2018-11-09T23:59:59+08:00",
    "calendar_version": "cn-workdays-2026.1", "contact": "省发展改革委创新和高技术发展处 0351-3046000",
})
class NoticePublishedV1(Strict):
    """The DRC announced a proposed list (公示) for a period of working days; objections
    are received until ``ends_at`` (the end of the last working day, Beijing time)."""

    notice_id = fields.UUID(required=True)
    title = LoggedName(max_length=200)
    purpose = fields.String(required=True, validate=validate.OneOf(NOTICE_PURPOSES))
    batch_id = fields.UUID(load_default=None, allow_none=True)
    entries = fields.List(fields.Nested(NoticeEntrySchema), required=True,
                          validate=validate.Length(min=1, max=1000))
    starts_on = fields.Date(required=True)
    working_days = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=60))
    ends_at = Timestamp(required=True)
    calendar_version = fields.String(required=True, validate=validate.Length(min=1, max=64))
    contact = LoggedName(max_length=200)


@contract("ObjectionLodged", source="evaluation", version=1, example={
    "notice_id": NOTICE_ID, "objection_id": OBJECTION_ID, "base_id": BASE_ID,
    "text": "该单位申报材料中孵化企业数与工商登记不符。",
    "documents": [{"sha256": "9f86d081884c7d659a2feaa0c55ad015" * 2, "name": "工商登记查询.pdf"}],
    "lodged_at": "2018-11-07T10:12:00+08:00",
})
class ObjectionLodgedV1(Strict):
    """Someone (the public: no sign-in) objected to a base on a notice's list. Who
    objected, and how to reach them, stays with the DRC."""

    notice_id = fields.UUID(required=True)
    objection_id = fields.UUID(required=True)
    base_id = fields.UUID(required=True)
    text = LoggedName(max_length=2000)
    documents = fields.List(fields.Nested(DocumentRefSchema), required=True,
                            validate=validate.Length(max=5))
    lodged_at = Timestamp(required=True)


@contract("ObjectionAnswered", source="evaluation", version=1, example={
    "notice_id": NOTICE_ID, "objection_id": OBJECTION_ID, "base_id": BASE_ID,
    "upheld": False, "reasons": "经核查，差异系统计口径不同所致，申报数据属实。",
    "answered_at": "2018-11-12T16:00:00+08:00",
})
class ObjectionAnsweredV1(Strict):
    """The DRC answered an objection: upheld (the base leaves the list) or dismissed,
    with its reasons."""

    notice_id = fields.UUID(required=True)
    objection_id = fields.UUID(required=True)
    base_id = fields.UUID(required=True)
    upheld = fields.Boolean(required=True)
    reasons = LoggedName(max_length=2000)
    answered_at = Timestamp(required=True)


@contract("NoticeConcluded", source="evaluation", version=1, example={
    "notice_id": NOTICE_ID, "purpose": "certification",
    "batch_id": "9d3e7c52-1f0a-4c7b-8e21-2018a0000002",
    "standing": [BASE_ID], "withdrawn": [], "concluded_at": "2018-11-12T16:00:00+08:00",
})
class NoticeConcludedV1(Strict):
    """The notice's period ended and every objection was answered: the proposed
    decisions stand for ``standing`` (each follows as a BaseAdjusted; for a national
    call's notice, no BaseAdjusted: the call submits them, NationalRecommendationSubmitted),
    and the bases in ``withdrawn`` left the list on an upheld objection."""

    notice_id = fields.UUID(required=True)
    purpose = fields.String(required=True, validate=validate.OneOf(NOTICE_PURPOSES))
    batch_id = fields.UUID(load_default=None, allow_none=True)
    standing = fields.List(fields.UUID(), required=True)
    withdrawn = fields.List(fields.Nested(WithdrawnEntrySchema), required=True)
    concluded_at = Timestamp(required=True)
