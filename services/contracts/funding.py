"""Events published by the funding service (provincial budget support to bases)."""

from marshmallow import ValidationError, fields, validate, validates_schema

from .catalog import contract
from .common import Strict
from .fields import Money, Name

FUND_SOURCES = {
    "provincial_budget": "省级预算内资金",
    "special_fund": "省级财政专项资金",
}


class TrancheSchema(Strict):
    """A part of an allocation, paid when its milestone is met."""

    tranche_id = fields.UUID(required=True)
    amount = Money(required=True)
    milestone = Name(max_length=200)


@contract("FundingAllocated", source="funding", version=1)
class FundingAllocatedV1(Strict):
    """The funding office allocated budget support to a base from an envelope."""

    allocation_id = fields.UUID(required=True)
    base_id = fields.UUID(required=True)
    envelope_id = fields.UUID(required=True)
    fiscal_year = fields.Integer(required=True, strict=True,
                                 validate=validate.Range(min=2017, max=2100))
    fund_source = fields.String(required=True, validate=validate.OneOf(FUND_SOURCES))
    amount = Money(required=True)
    purpose = Name(max_length=500)
    tranches = fields.List(fields.Nested(TrancheSchema), required=True,
                           validate=validate.Length(min=1, max=24))

    @validates_schema
    def _tranches_add_up(self, data, **kwargs):
        tranches, amount = data.get("tranches"), data.get("amount")
        if tranches and amount is not None and sum(t["amount"] for t in tranches) != amount:
            raise ValidationError("Tranche amounts must add up to the amount.",
                                  field_name="tranches")
