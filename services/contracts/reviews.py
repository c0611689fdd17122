"""Events of review published by the registry: a plan waits for its approvers, a plan or
a declaration was sent back. Approvers' 待办 and departments' notifications follow them."""

from marshmallow import fields, validate

from .catalog import contract
from .common import Strict
from .fields import Timestamp

PLAN_RETURNERS = ("county_government", "competent_department", "drc")
APPROVERS = ("county_government", "competent_department")


@contract("PlanSubmitted", source="registry", version=1, example={
    "base_id": "3a6f6f0e-2b8e-5b43-9d0a-6c1f1d2e9b01",
    "plan_version": 2,
    "awaiting": ["county_government", "competent_department"],
})
class PlanSubmittedV1(Strict):
    """A base submitted a version of its construction plan (建设方案): the first, or a
    revision after a return. It waits for the approval (审议通过) of each of ``awaiting``:
    its county government and its competent department, who find it by ``base_id``."""

    base_id = fields.UUID(required=True)
    plan_version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    awaiting = fields.List(fields.String(validate=validate.OneOf(APPROVERS)), required=True,
                           validate=validate.Length(min=1))


@contract("PlanReturned", source="registry", version=1, example={
    "base_id": "3a6f6f0e-2b8e-5b43-9d0a-6c1f1d2e9b01",
    "plan_version": 1,
    "returned_by": "county_government",
    "comments": "建设目标中孵化企业数偏低，请结合区域实际修改后重新报送",
    "returned_at": "2017-10-12T09:00:00+08:00",
})
class PlanReturnedV1(Strict):
    """A plan version was sent back for revision (退回修改) with comments, by its county
    government or competent department instead of approving it, or by the DRC instead
    of filing it. The base revises it (a new version, PlanSubmitted) and approvals
    restart on that version."""

    base_id = fields.UUID(required=True)
    plan_version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    returned_by = fields.String(required=True, validate=validate.OneOf(PLAN_RETURNERS))
    comments = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    returned_at = Timestamp(required=True)


@contract("DeclarationReturned", source="registry", version=1, example={
    "base_id": "3a6f6f0e-2b8e-5b43-9d0a-6c1f1d2e9b01",
    "batch_id": "9d3e7c52-1f0a-4c7b-8e21-2017a0000001",
    "comments": "缺少盖章的申报书，请补正后重新提交",
})
class DeclarationReturnedV1(Strict):
    """The DRC found a declaration incomplete before its batch closed and returned it
    for completion (退回补正); the base completes and resubmits it."""

    base_id = fields.UUID(required=True)
    batch_id = fields.UUID(required=True)
    comments = fields.String(required=True, validate=validate.Length(min=1, max=2000))


@contract("DeclarationResubmitted", source="registry", version=1, example={
    "base_id": "3a6f6f0e-2b8e-5b43-9d0a-6c1f1d2e9b01",
    "batch_id": "9d3e7c52-1f0a-4c7b-8e21-2017a0000001",
    "note": "已补充盖章申报书",
})
class DeclarationResubmittedV1(Strict):
    """The base resubmitted its declaration, completed, after a return (退回补正)."""

    base_id = fields.UUID(required=True)
    batch_id = fields.UUID(required=True)
    note = fields.String(required=True, validate=validate.Length(max=2000))
