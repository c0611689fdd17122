"""Events published by the registry service (bases and their construction plans)."""

from marshmallow import fields, validate

from .catalog import contract
from .common import ApprovalSchema, ContactSchema, PlanContentSchema, RegionSchema, Strict
from .fields import Name
from .vocabulary import KINDS


@contract("BaseDeclared", source="registry", version=1)
class BaseDeclaredV1(Strict):
    """A region, university/research institute or enterprise declared a base (申报) in a batch."""

    base_id = fields.UUID(required=True)
    name = Name()
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    region = fields.Nested(RegionSchema, required=True)
    competent_department = Name()
    batch_id = fields.UUID(required=True)
    contact = fields.Nested(ContactSchema, required=True)


@contract("PlanFiled", source="registry", version=1)
class PlanFiledV1(PlanContentSchema):
    """A certified base's construction plan, approved by its county government and its
    competent department, was filed with the DRC (备案)."""

    base_id = fields.UUID(required=True)
    plan_version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    approvals = fields.List(fields.Nested(ApprovalSchema), required=True,
                            validate=validate.Length(min=2))
