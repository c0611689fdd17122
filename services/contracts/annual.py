"""The annual self-evaluation (年度自评) as the platform publishes it: the figures of a
base's year, its supporting documents and how the figures compare with the targets of
its filed construction plan.

Shared by the evaluation service (which records reports and checks requests with these
shapes) and every consumer of AnnualReportSubmitted.
"""

from decimal import Decimal

from marshmallow import fields, validate

from .catalog import contract
from .common import Strict
from .decisions import DocumentRefSchema as DocumentRef  # one reference to a stored document
from .fields import MAX_MONEY, ExactDecimal, LoggedName, Money, Timestamp
from .vocabulary import ANNUAL_INDICATORS, KINDS, MONEY_INDICATORS

MAX_ANNUAL_COUNT = 10_000_000  # incubators, jobs, patents... of one base in one year
COMPARISONS = {"met": "已达到", "short": "未达到", "no_target": "无目标"}


def _figure(indicator: str) -> fields.Field:
    if indicator in MONEY_INDICATORS:
        return Money(required=True, allow_zero=True)
    return fields.Integer(required=True, strict=True,
                          validate=validate.Range(min=0, max=MAX_ANNUAL_COUNT))


# One field per indicator: counts are whole numbers, money is yuan (a decimal string).
AnnualFigures = Strict.from_dict({i: _figure(i) for i in ANNUAL_INDICATORS}, name="AnnualFigures")


class ComparisonRow(Strict):
    """One indicator of the report: the plan's target for the year (none: null), the
    figure reported and the gap (actual − target, negative when short)."""

    indicator = fields.String(required=True, validate=validate.OneOf(ANNUAL_INDICATORS))
    target = ExactDecimal(required=True, allow_none=True, minimum=Decimal(0), maximum=MAX_MONEY)
    actual = ExactDecimal(required=True, minimum=Decimal(0), maximum=MAX_MONEY)
    gap = ExactDecimal(required=True, allow_none=True, minimum=-MAX_MONEY, maximum=MAX_MONEY)
    status = fields.String(required=True, validate=validate.OneOf(COMPARISONS))


@contract("AnnualReportSubmitted", source="evaluation", version=1, example={
    "base_id": "3a6f6f0e-2b8e-5b43-9d0a-6c1f1d2e9b01",
    "name": "山西大学",
    "kind": "university",
    "year": 2018,
    "version": 1,
    "plan_version": 1,
    "submitted_at": "2019-01-15T10:00:00+08:00",
    "figures": {"incubators": 2, "makerspaces": 3, "incubated_enterprises": 48,
                "jobs_created": 620, "patents": 131, "technology_transfers": 18,
                "financing_raised": "12500000.00", "events_held": 40},
    "comparison": [
        {"indicator": "incubated_enterprises", "target": "60.00", "actual": "48.00",
         "gap": "-12.00", "status": "short"},
        {"indicator": "patents", "target": "120.00", "actual": "131.00", "gap": "11.00",
         "status": "met"},
        {"indicator": "jobs_created", "target": None, "actual": "620.00", "gap": None,
         "status": "no_target"},
    ],
    "documents": [{"sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                   "name": "2018年度自评报告.pdf"}],
})
class AnnualReportSubmittedV1(Strict):
    """A demonstration base submitted its annual self-evaluation (年度自评) for a year, or
    revised it (a higher ``version`` replaces the one before): its figures, each compared
    with the target its filed construction plan (``plan_version``; null when none was
    filed) set for that year, and its supporting documents by reference. The narrative
    per construction task is read from the evaluation service's API."""

    base_id = fields.UUID(required=True)
    name = LoggedName()
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    year = fields.Integer(required=True, strict=True, validate=validate.Range(min=2000, max=2100))
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    plan_version = fields.Integer(required=True, allow_none=True, strict=True,
                                  validate=validate.Range(min=1))
    submitted_at = Timestamp(required=True)
    figures = fields.Nested(AnnualFigures, required=True)
    comparison = fields.List(fields.Nested(ComparisonRow), required=True)
    documents = fields.List(fields.Nested(DocumentRef), required=True,
                            validate=validate.Length(max=50))
