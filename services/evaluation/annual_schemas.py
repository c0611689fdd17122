"""Request and response shapes of the annual self-evaluation (年度自评) API."""

from marshmallow import Schema, fields, validate

from services.contracts.annual import AnnualFigures, ComparisonRow, DocumentRef
from services.contracts.common import Strict
from services.contracts.fields import DAY_ENDS, City, Moment, Money, Timestamp
from services.contracts.text import FreeText
from services.contracts.text import Name
from services.contracts.vocabulary import ANNUAL_INDICATORS, CONSTRUCTION_TASKS, KINDS, MONEY_INDICATORS

TASK_CODES = sorted({code for tasks in CONSTRUCTION_TASKS.values() for code in tasks})


class AnnualReportRequest(Strict):
    """POST /bases/<id>/annual-reports: the year, a narrative per construction task of
    the base's kind, every figure of the year, and supporting documents by reference. A
    year already reported is revised (a new version replaces it)."""

    year = fields.Integer(required=True, strict=True, validate=validate.Range(min=2017, max=2100))
    narratives = fields.Dict(keys=fields.String(validate=validate.OneOf(TASK_CODES)),
                             values=FreeText(max_length=4000, required=True, blank=False),
                             required=True, validate=validate.Length(min=1, max=5))
    figures = fields.Nested(AnnualFigures, required=True)
    documents = fields.List(fields.Nested(DocumentRef), load_default=list,
                            validate=validate.Length(max=50))


class AnnualReportOut(Schema):
    """A year's report as it stands (its latest version) beside the filed plan's targets."""

    base_id = fields.UUID()
    year = fields.Integer()
    version = fields.Integer()
    versions = fields.Integer()
    plan_version = fields.Integer(allow_none=True)
    submitted_at = Timestamp()
    narratives = fields.Dict(keys=fields.String(), values=fields.String())
    figures = fields.Nested(AnnualFigures)
    comparison = fields.List(fields.Nested(ComparisonRow))
    documents = fields.List(fields.Nested(DocumentRef))


class QuantitativeIndicatorOut(Schema):
    """A figure a rubric scores: its weight and the thresholds of no and of full points."""

    indicator = fields.String()
    name = fields.String()
    weight = fields.Decimal(as_string=True)
    zero_at = fields.Decimal(as_string=True)
    full_at = fields.Decimal(as_string=True)


class QuantitativeRowOut(QuantitativeIndicatorOut):
    """An indicator with the figure reported and the points it earned."""

    actual = fields.Decimal(as_string=True, allow_none=True)
    points = fields.Decimal(as_string=True)


class QuantitativeOut(Schema):
    """The points a rubric's quantitative indicators give the base's reported figures."""

    points = fields.Decimal(as_string=True)
    indicators = fields.List(fields.Nested(QuantitativeRowOut))


# -- the DRC's statistics (issue 27 §4) -----------------------------------------------------------

class AnnualStatsQuery(Strict):
    """GET /stats/annual?kind=&city=&county=&batch_id=&year=&as_of= (``year``: the
    reports' year; ``as_of``: a day, the versions sent by its end, Beijing time)"""

    kind = fields.String(validate=validate.OneOf(KINDS), load_default=None)
    city = City(load_default=None)
    county = Name(max_length=50, required=False, load_default=None)
    batch_id = fields.UUID(load_default=None)
    year = fields.Integer(validate=validate.Range(min=2017, max=2100), load_default=None)
    as_of = Moment(day=DAY_ENDS, load_default=None)


# Each indicator summed: counts whole, money (yuan) a decimal string; with the reports counted.
FiguresSumOut = Schema.from_dict({
    "reports": fields.Integer(),
    **{i: Money(allow_zero=True) if i in MONEY_INDICATORS else fields.Integer() for i in ANNUAL_INDICATORS},
}, name="FiguresSum")


class AnnualStatisticsOut(Schema):
    """GET /stats/annual: the annual reports' figures summed, in all, by kind and by city."""

    as_of = fields.String(allow_none=True)
    reports = fields.Integer()
    totals = fields.Nested(FiguresSumOut)
    by_kind = fields.Dict(keys=fields.String(), values=fields.Nested(FiguresSumOut))
    by_city = fields.Dict(keys=fields.String(), values=fields.Nested(FiguresSumOut))
