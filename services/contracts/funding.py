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


@contract("FundingAllocated", source="funding", version=1, example={
    "allocation_id": "b7c1d2e3-f4a5-4b6c-9d7e-8f9a0b1c2d3e",
    "base_id": "3a6f6f0e-2b8e-5b43-9d0a-6c1f1d2e9b01",
    "envelope_id": "c8d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f",
    "fiscal_year": 2017,
    "fund_source": "provincial_budget",
    "amount": "3000000.00",
    "purpose": "省级双创示范基地建设补助",
    "tranches": [
        {"tranche_id": "d9e3f4a5-b6c7-4d8e-9f0a-1b2c3d4e5f6a", "amount": "2000000.00", "milestone": "建设方案备案"},
        {"tranche_id": "eaf4a5b6-c7d8-4e9f-0a1b-2c3d4e5f6a7b", "amount": "1000000.00", "milestone": "2018年第三方评估合格"},
    ],
})
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
