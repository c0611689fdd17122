"""Events published by the funding service (provincial budget support to bases).

Every event about an allocation names the allocation, the base, the envelope, its fiscal
year and its fund source, so that a department can keep its own ledger per year and
source from these events alone. Amounts are yuan, decimal strings with two places.
"""

from marshmallow import ValidationError, fields, validate, validates_schema

from .catalog import contract, upcaster
from .common import Strict
from .fields import LoggedName, Money
from .vocabulary import KINDS, MILESTONES

FUND_SOURCES = {
    "provincial_budget": "省级预算内资金",
    "special_fund": "省级财政专项资金",
}

FISCAL_YEARS = validate.Range(min=2017, max=2100)


class TrancheSchema(Strict):
    """A part of an allocation, paid when its milestone is reached and the tranches
    before it are paid. ``milestone`` is a code of ``vocabulary.MILESTONES``
    (``plan_filed`` 建设方案备案, ``evaluation_passed`` 评估合格); allocations made before
    the codes carry the free text they were made with."""

    tranche_id = fields.UUID(required=True)
    amount = Money(required=True)
    milestone = LoggedName(max_length=200)


class KindCapSchema(Strict):
    """The most an envelope may commit to bases of one kind."""

    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    amount = Money(required=True)


class BaseCapSchema(Strict):
    """The most an envelope may commit to one base."""

    base_id = fields.UUID(required=True)
    amount = Money(required=True)


class AllocationRef(Strict):
    """The fields every allocation event carries: which allocation, base and envelope."""

    allocation_id = fields.UUID(required=True)
    base_id = fields.UUID(required=True)
    envelope_id = fields.UUID(required=True)
    fiscal_year = fields.Integer(required=True, strict=True, validate=FISCAL_YEARS)
    fund_source = fields.String(required=True, validate=validate.OneOf(FUND_SOURCES))


class TranchesAddUp(Strict):
    """For a schema with ``amount`` and ``tranches``: tranches are parts of one amount,
    so they add up to it exactly."""

    @validates_schema
    def _tranches_add_up(self, data, **kwargs):
        tranches, amount = data.get("tranches"), data.get("amount")
        if tranches and amount is not None and sum(t["amount"] for t in tranches) != amount:
            raise ValidationError("Tranche amounts must add up to the amount.",
                                  field_name="tranches")


EXAMPLE_REF = {
    "allocation_id": "b7c1d2e3-f4a5-4b6c-9d7e-8f9a0b1c2d3e",
    "base_id": "3a6f6f0e-2b8e-5b43-9d0a-6c1f1d2e9b01",
    "envelope_id": "c8d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f",
    "fiscal_year": 2017,
    "fund_source": "provincial_budget",
}


@contract("BudgetEnvelopeOpened", source="funding", version=1, example={
    "envelope_id": "c8d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f",
    "name": "2017年省级预算内资金",
    "fiscal_year": 2017,
    "fund_source": "provincial_budget",
    "total": "30000000.00",
    "caps_by_kind": [{"kind": "enterprise", "amount": "5000000.00"}],
    "caps_by_base": [{"base_id": "3a6f6f0e-2b8e-5b43-9d0a-6c1f1d2e9b01", "amount": "3000000.00"}],
})
class BudgetEnvelopeOpenedV1(Strict):
    """The funding office opened a budget envelope: the money of one fund source for one
    fiscal year that allocations draw on, with optional caps per kind of base and per base."""

    envelope_id = fields.UUID(required=True)
    name = LoggedName()
    fiscal_year = fields.Integer(required=True, strict=True, validate=FISCAL_YEARS)
    fund_source = fields.String(required=True, validate=validate.OneOf(FUND_SOURCES))
    total = Money(required=True)
    caps_by_kind = fields.List(fields.Nested(KindCapSchema), load_default=list)
    caps_by_base = fields.List(fields.Nested(BaseCapSchema), load_default=list)


@contract("FundingAllocated", source="funding", version=1, example={
    **EXAMPLE_REF,
    "amount": "3000000.00",
    "purpose": "省级双创示范基地建设补助",
    "tranches": [
        {"tranche_id": "d9e3f4a5-b6c7-4d8e-9f0a-1b2c3d4e5f6a", "amount": "2000000.00", "milestone": "建设方案备案"},
        {"tranche_id": "eaf4a5b6-c7d8-4e9f-0a1b-2c3d4e5f6a7b", "amount": "1000000.00", "milestone": "2018年第三方评估合格"},
    ],
})
class FundingAllocatedV1(AllocationRef, TranchesAddUp):
    """The funding office allocated budget support to a base from an envelope."""

    amount = Money(required=True)
    purpose = LoggedName(max_length=500)
    tranches = fields.List(fields.Nested(TrancheSchema), required=True,
                           validate=validate.Length(min=1, max=24))


@contract("FundingDisbursed", source="funding", version=1, example={
    **EXAMPLE_REF,
    "tranche_id": "d9e3f4a5-b6c7-4d8e-9f0a-1b2c3d4e5f6a",
    "amount": "2000000.00",
    "milestone": "建设方案备案",
    "reference": "晋财拨〔2017〕118号",
})
class FundingDisbursedV1(AllocationRef):
    """The funding office paid a tranche of an allocation (拨付), its milestone being met."""

    tranche_id = fields.UUID(required=True)
    amount = Money(required=True)
    milestone = LoggedName(max_length=200)
    reference = fields.String(load_default=None, allow_none=True,
                              validate=validate.Length(max=100))


@contract("FundingCancelled", source="funding", version=1, example={
    **EXAMPLE_REF,
    "amount": "1000000.00",
    "tranches": [
        {"tranche_id": "eaf4a5b6-c7d8-4e9f-0a1b-2c3d4e5f6a7b", "amount": "1000000.00", "milestone": "2018年第三方评估合格"},
    ],
    "reason": "第三方评估不合格且整改不到位，撤销省级双创示范基地",
})
class FundingCancelledV1(AllocationRef, TranchesAddUp):
    """The tranches of an allocation not yet paid were cancelled because the base was
    revoked (撤销); their amount went back to the envelope at once."""

    amount = Money(required=True)
    tranches = fields.List(fields.Nested(TrancheSchema), required=True,
                           validate=validate.Length(min=1, max=24))
    reason = LoggedName(max_length=1000)


@contract("FundingRecoveryDemanded", source="funding", version=1, example={
    **EXAMPLE_REF,
    "amount": "2000000.00",
    "reason": "第三方评估不合格且整改不到位，撤销省级双创示范基地",
})
class FundingRecoveryDemandedV1(AllocationRef):
    """The base was revoked after part of an allocation was paid: the amount paid is to be
    recovered (追回). It returns to the envelope only as it is recovered."""

    amount = Money(required=True)
    reason = LoggedName(max_length=1000)


@contract("FundingRecovered", source="funding", version=1, example={
    **EXAMPLE_REF,
    "recovery_id": "fb05b6c7-d8e9-4f0a-1b2c-3d4e5f6a7b8c",
    "amount": "1500000.00",
    "outstanding": "500000.00",
    "reference": "缴款书 2018-0042",
})
class FundingRecoveredV1(AllocationRef):
    """The funding office recorded money recovered from a revoked base; ``outstanding`` is
    what is still to be recovered. The amount returned to the envelope."""

    recovery_id = fields.UUID(required=True)
    amount = Money(required=True)
    outstanding = Money(required=True, allow_zero=True)
    reference = fields.String(load_default=None, allow_none=True,
                              validate=validate.Length(max=100))


# -- version 2: milestones are named steps -------------------------------------------------------

MILESTONE_CODES = """Version 2 (2018): a tranche's ``milestone`` is a code of ``MILESTONES``
    (``plan_filed`` 建设方案备案, ``evaluation_passed`` 评估合格), paid in order, each once
    funding's record of the base has reached it; an allocation made before the codes keeps
    its free text. Version 1 events are read with the words of a step as its code."""

_CODE_OF_WORDS = {name: code for code, name in MILESTONES.items()}


def _coded(milestone: str) -> str:
    words = " ".join(str(milestone).split())
    return _CODE_OF_WORDS.get(words, milestone)


@contract("FundingAllocated", source="funding", version=2, example={
    **EXAMPLE_REF,
    "amount": "3000000.00",
    "purpose": "省级双创示范基地建设补助",
    "tranches": [
        {"tranche_id": "d9e3f4a5-b6c7-4d8e-9f0a-1b2c3d4e5f6a", "amount": "2000000.00", "milestone": "plan_filed"},
        {"tranche_id": "eaf4a5b6-c7d8-4e9f-0a1b-2c3d4e5f6a7b", "amount": "1000000.00", "milestone": "evaluation_passed"},
    ],
})
class FundingAllocatedV2(FundingAllocatedV1):
    __doc__ = f"""The funding office allocated budget support to a base from an envelope.

    {MILESTONE_CODES}"""


@contract("FundingDisbursed", source="funding", version=2, example={
    **EXAMPLE_REF,
    "tranche_id": "d9e3f4a5-b6c7-4d8e-9f0a-1b2c3d4e5f6a",
    "amount": "2000000.00",
    "milestone": "plan_filed",
    "reference": "晋财拨〔2017〕118号",
})
class FundingDisbursedV2(FundingDisbursedV1):
    __doc__ = f"""The funding office paid a tranche of an allocation (拨付), its milestone reached
    and the tranches before it paid.

    {MILESTONE_CODES}"""


@contract("FundingCancelled", source="funding", version=2, example={
    **EXAMPLE_REF,
    "amount": "1000000.00",
    "tranches": [
        {"tranche_id": "eaf4a5b6-c7d8-4e9f-0a1b-2c3d4e5f6a7b", "amount": "1000000.00", "milestone": "evaluation_passed"},
    ],
    "reason": "第三方评估不合格且整改不到位，撤销省级双创示范基地",
})
class FundingCancelledV2(FundingCancelledV1):
    __doc__ = f"""The tranches of an allocation not yet paid were cancelled because the base was
    revoked (撤销); their amount went back to the envelope at once.

    {MILESTONE_CODES}"""


@upcaster("FundingAllocated", from_version=1)
@upcaster("FundingCancelled", from_version=1)
def tranches_milestones_as_codes(payload: dict) -> dict:
    """The words of a step become its code; other free text stays as written."""
    return {**payload, "tranches": [{**tranche, "milestone": _coded(tranche["milestone"])}
                                    for tranche in payload["tranches"]]}


@upcaster("FundingDisbursed", from_version=1)
def milestone_as_code(payload: dict) -> dict:
    """The words of a step become its code; other free text stays as written."""
    return {**payload, "milestone": _coded(payload["milestone"])}
