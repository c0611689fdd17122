"""Request and response shapes of the evaluation service's HTTP and RPC API."""

from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.backbone.web.paging import PageQuery, SearchText, sortable
from services.contracts.common import RegionRequest, RegionSchema, Strict
from services.contracts.decisions import DecisionOfRecord
from services.contracts.evaluation import ROUND_KINDS
from services.contracts.national import NATIONAL_STATUSES
from services.contracts.fields import (DAY_ENDS, DAY_STARTS, City, Count, Day, ExactDecimal, Moment, Money,
                                       Timestamp)
from services.contracts.text import FreeText, Name
from services.contracts.vocabulary import KINDS, METRICS, STATUSES

from .annual_schemas import AnnualReportOut, QuantitativeIndicatorOut, QuantitativeOut

PERIOD = validate.Regexp(r"^20\d\dH[12]$", error="A period is a year and a half, e.g. 2018H1.")
VERSION = validate.Regexp(r"^[a-z0-9][a-z0-9._-]{0,63}$", error="A version such as adjustment-2018.1.")
DIMENSION_CODE = validate.Regexp(r"^[a-z][a-z_]{0,63}$", error="A dimension code such as talent_cultivation.")


def Score(**kwargs) -> ExactDecimal:
    """A dimension's score: 0 to 100 with at most two places, sent as a decimal string
    ("85.50") or an integer. Floats are refused: 85.1 as a float is not 85.1."""
    return ExactDecimal(minimum=Decimal(0), maximum=Decimal(100), **kwargs)


MAX_COUNT = 10_000_000  # enterprises, jobs, patents or events of one base in half a year


def _count():
    return Count(required=True, maximum=MAX_COUNT)


# One field per metric of the vocabulary: counts are whole numbers, financing is yuan.
MetricValues = Strict.from_dict(
    {metric: Money(required=True, allow_zero=True) if metric == "financing_raised" else _count()
     for metric in METRICS}, name="MetricValues")


# -- requests --------------------------------------------------------------------------------

class OpenBatchRequest(Strict):
    """POST /batches"""

    name = Name()
    opens_at = Moment(required=True, day=DAY_STARTS)  # a date: 00:00 Beijing time that day
    closes_at = Moment(required=True, day=DAY_ENDS)  # a date: open through the whole day
    quota = Count(required=True, minimum=1, maximum=1000)
    # cities (设区市) recommend their declarations before the DRC selects
    city_recommendation = fields.Boolean(load_default=False, truthy={True}, falsy={False})


class EvaluatorRequest(Strict):
    """POST /evaluators"""

    name = Name()
    organisation = Name(max_length=200)
    # A city of Shanxi, on which conflicts of interest are judged; null for a body from
    # outside the province (a national third-party evaluator), which has no stake in any
    # Shanxi city's bases.
    region = fields.Nested(RegionRequest, required=True, allow_none=True)


class ConflictRequest(Strict):
    """POST /evaluators/<id>/conflicts: a base, or a unit (all its bases), the
    evaluator may not judge, and why."""

    base_id = fields.UUID(load_default=None)
    unit = Name(max_length=100, required=False, load_default=None)
    reason = FreeText(max_length=500, required=True, blank=False)

    @validates_schema
    def _base_or_unit(self, data, **kwargs):
        if (data.get("base_id") is None) == (data.get("unit") is None):
            raise ValidationError("Give either base_id or unit.", field_name="base_id")


class OccasionRequest(Strict):
    """Either a batch (selection) or an evaluation round."""

    batch_id = fields.UUID(load_default=None)
    round_id = fields.UUID(load_default=None)

    @validates_schema
    def _one_occasion(self, data, **kwargs):
        if (data.get("batch_id") is None) == (data.get("round_id") is None):
            raise ValidationError("Give either batch_id or round_id.", field_name="batch_id")


class AssignRequest(OccasionRequest):
    """POST /assignments"""

    base_id = fields.UUID(required=True)
    evaluator_id = fields.UUID(required=True)


class ScoreRequest(OccasionRequest):
    """POST /scores: one sheet, a score for every dimension of the base's rubric."""

    base_id = fields.UUID(required=True)
    scores = fields.Dict(keys=fields.String(validate=DIMENSION_CODE), values=Score(), required=True,
                         validate=validate.Length(max=20))
    comment = FreeText(max_length=2000)


def Reason() -> FreeText:
    return FreeText(max_length=500)


class CertifyRequest(DecisionOfRecord):
    """POST /batches/<id>/certification: the bases to certify, or none for the top; a
    list that passes over higher-scored bases needs the reason. With its effective date
    (default: today) and, once published, its 文号 and document."""

    base_ids = fields.List(fields.UUID(), load_default=None, allow_none=True,
                           validate=validate.Length(min=1, max=1000))
    reason = Reason()


class MetricsRequest(Strict):
    """POST /bases/<id>/metrics"""

    period = fields.String(required=True, validate=PERIOD)
    values = fields.Nested(MetricValues, required=True)
    correction = fields.Boolean(load_default=False)
    note = FreeText(max_length=1000)


class OpenRoundRequest(Strict):
    """POST /rounds: ``rubrics`` names, for some kinds, another rubric version than the
    one in force (e.g. one scoring the annual figures)."""

    kind = fields.String(required=True, validate=validate.OneOf(ROUND_KINDS))
    name = Name()
    period = fields.String(required=True, validate=PERIOD)
    rubrics = fields.Dict(keys=fields.String(validate=validate.OneOf(KINDS)),
                          values=fields.String(validate=VERSION), load_default=dict)


class CloseRoundRequest(DecisionOfRecord):
    """POST /rounds/<id>/closing: the policy version in force unless named (another
    one needs the reason). Its decisions' effective date (deadlines count from it) and,
    once published, 文号 and document."""

    policy_version = fields.String(load_default=None, validate=VERSION)
    reason = Reason()


class WhatIfQuery(Strict):
    """GET /rounds/<id>/what-if?policy_version="""

    policy_version = fields.String(required=True, validate=VERSION)


class RecomputeQuery(Strict):
    """GET /recompute?policy_version="""

    policy_version = fields.String(required=True, validate=VERSION)


class RecomputedBaseOut(Schema):
    base_id = fields.UUID()
    name = fields.String()
    status_now = fields.String()
    status_under_policy = fields.String()
    changed = fields.Boolean()
    decisions_under_policy = fields.List(fields.Dict())


class RecomputeOut(Schema):
    policy_version = fields.String()
    bases = fields.List(fields.Nested(RecomputedBaseOut))
    changed = fields.List(fields.Nested(RecomputedBaseOut))


class RectificationRequest(Strict):
    """POST /bases/<id>/rectification"""

    note = FreeText(max_length=1000)


class BasesQuery(PageQuery):
    """GET /bases?q=&status=&batch_id=&kind=&city=&county=&competent_department=&sort=&limit=&offset="""

    SORTABLE = sortable("name", "kind", "status", "competent_department", "declared_at",
                        "rectification_deadline", city="region.city", county="region.county")
    SEARCHED = ("name",)

    q = SearchText()
    status = fields.String(validate=validate.OneOf(STATUSES))
    batch_id = fields.UUID()
    kind = fields.String(validate=validate.OneOf(KINDS))
    city = City()
    county = Name(max_length=50, required=False)
    competent_department = Name(required=False)


class DecisionsQuery(PageQuery):
    """GET /decisions?base_id=&batch_id=&round_id=&sort=&limit=&offset="""

    SORTABLE = sortable("decided_at", "name", "to_status")

    base_id = fields.UUID()
    batch_id = fields.UUID()
    round_id = fields.UUID()


class SheetsQuery(PageQuery):
    """GET /scores?base_id=&batch_id=&round_id=&sort=&limit=&offset="""

    SORTABLE = sortable("assigned_at", "scored_at", "base_name", "weighted")

    base_id = fields.UUID()
    batch_id = fields.UUID()
    round_id = fields.UUID()


class AssignmentsQuery(PageQuery):
    """GET /assignments?evaluator_id=&sort=&limit=&offset="""

    SORTABLE = sortable("assigned_at", "scored_at", "base_name")

    evaluator_id = fields.UUID()


class BatchesQuery(PageQuery):
    """GET /batches?sort=&limit=&offset="""

    SORTABLE = sortable("name", "opens_at", "closes_at", "quota", "closed_at")


class EvaluatorsQuery(PageQuery):
    """GET /evaluators?q=&sort=&limit=&offset= (``q``: part of the evaluator's name or
    of its organisation's, the unit it works for)"""

    SORTABLE = sortable("name", "organisation", "registered_at", "assignments", city="region.city")
    SEARCHED = ("name", "organisation")

    q = SearchText()


class RoundsQuery(PageQuery):
    """GET /rounds?kind=&sort=&limit=&offset="""

    SORTABLE = sortable("name", "kind", "period", "opened_at", "closed_at")

    kind = fields.String(validate=validate.OneOf(ROUND_KINDS))


# -- responses ---------------------------------------------------------------------------------

class BatchOut(Schema):
    batch_id = fields.UUID()
    name = fields.String()
    opens_at = Timestamp()
    closes_at = Timestamp()
    quota = fields.Integer()
    rubrics = fields.Dict(keys=fields.String(), values=fields.String())
    closed = fields.Boolean()
    closed_at = Timestamp(allow_none=True)
    certified = fields.List(fields.UUID(), allow_none=True)
    city_recommendation = fields.Boolean()


class ConflictOut(Schema):
    base_id = fields.UUID(allow_none=True)
    unit = fields.String(allow_none=True)
    reason = fields.String()
    declared_at = Timestamp()


class EvaluatorOut(Schema):
    evaluator_id = fields.UUID()
    name = fields.String()
    organisation = fields.String()
    region = fields.Nested(RegionSchema, allow_none=True)
    registered_at = Timestamp()
    assignments = fields.Integer()
    conflicts = fields.List(fields.Nested(ConflictOut))


class AssignmentOut(Schema):
    occasion = fields.String()
    occasion_id = fields.UUID()
    base_id = fields.UUID()
    base_name = fields.String()
    evaluator_id = fields.UUID()
    rubric_version = fields.String()
    assigned_at = Timestamp()
    scored_at = Timestamp(allow_none=True)


class SheetOut(AssignmentOut):
    """A score sheet: each dimension's score, the weighted total and the comment."""

    scores = fields.Dict(keys=fields.String(), values=fields.Decimal(as_string=True))
    weighted = fields.Decimal(as_string=True)
    comment = fields.String()


class AssessmentOut(Schema):
    """The result of assigning or scoring: one base on one occasion."""

    assessment_id = fields.UUID(attribute="id")
    occasion = fields.String()
    occasion_id = fields.UUID()
    base_id = fields.UUID()
    rubric_version = fields.String()
    evaluators = fields.List(fields.UUID())
    scored_by = fields.Function(lambda a: len(a.weighted))


class ScoreSummaryOut(Schema):
    """How far a base's scoring on one occasion got, and the mean once complete."""

    rubric_version = fields.String(allow_none=True)
    evaluators = fields.Integer()
    scored_by = fields.Integer()
    score = fields.Decimal(as_string=True, allow_none=True)


class ScoredBaseOut(ScoreSummaryOut):
    base_id = fields.UUID()
    name = fields.String()
    kind = fields.String()
    status = fields.String()


class RankingRowOut(ScoredBaseOut):
    rank = fields.Integer(allow_none=True)
    tied = fields.Boolean()


class RankingOut(BatchOut):
    ranking = fields.List(fields.Nested(RankingRowOut))


class DecisionOut(Schema):
    base_id = fields.UUID()
    name = fields.String()
    from_status = fields.String()
    to_status = fields.String()
    reason = fields.String()
    basis = fields.String()
    batch_id = fields.UUID(allow_none=True)
    round_id = fields.UUID(allow_none=True)
    score = fields.Decimal(as_string=True, allow_none=True)
    grade = fields.String(allow_none=True)
    rubric_version = fields.String(allow_none=True)
    policy_version = fields.String(allow_none=True)
    rectification_deadline = Timestamp(allow_none=True)
    decided_at = Timestamp()
    decided_by = fields.Dict()
    effective_on = fields.Date(allow_none=True)  # when it takes effect (a Beijing date)
    entered_at = Timestamp(allow_none=True)  # when it was entered
    document_number = fields.String(allow_none=True)
    document = fields.Dict(allow_none=True)


class NationalDimensionOut(Schema):
    """A base's national standing, apart from its provincial status."""

    status = fields.String(validate=validate.OneOf(NATIONAL_STATUSES))
    call_id = fields.UUID()
    document_number = fields.String(allow_none=True)
    effective_on = Day(allow_none=True)


class BaseRowOut(Schema):
    base_id = fields.UUID()
    name = fields.String()
    kind = fields.String()
    region = fields.Nested(RegionSchema)
    competent_department = fields.String()
    batch_id = fields.UUID()
    status = fields.String()
    rectification_deadline = Timestamp(allow_none=True)
    declared_at = Timestamp()
    national = fields.Nested(NationalDimensionOut, allow_none=True)  # apart from status


class RevisionOut(Schema):
    values = fields.Nested(MetricValues)
    correction = fields.Boolean()
    note = fields.String()
    reported_at = Timestamp()
    reported_by = fields.Dict()


class MetricsOut(Schema):
    period = fields.String()
    values = fields.Nested(MetricValues)
    revisions = fields.List(fields.Nested(RevisionOut))


class AssessmentSummaryOut(ScoreSummaryOut):
    occasion = fields.String()
    occasion_id = fields.UUID()


class BaseOut(BaseRowOut):
    declared_by = fields.UUID()
    decisions = fields.List(fields.Nested(DecisionOut))
    metrics = fields.List(fields.Nested(MetricsOut))
    assessments = fields.List(fields.Nested(AssessmentSummaryOut))
    annual_report = fields.Nested(AnnualReportOut, allow_none=True)  # its latest year


class RoundRowOut(Schema):
    round_id = fields.UUID()
    kind = fields.String()
    name = fields.String()
    period = fields.String()
    rubrics = fields.Dict(keys=fields.String(), values=fields.String())
    opened_at = Timestamp()
    closed_at = Timestamp(allow_none=True)
    policy_version = fields.String(allow_none=True)
    policy_reason = fields.String(allow_none=True)


class RoundBaseOut(ScoredBaseOut):
    status_at_opening = fields.String()
    grade = fields.String(allow_none=True)
    withdrawn = fields.String(allow_none=True)  # why a base revoked meanwhile was not graded
    metrics = fields.Nested(MetricValues, allow_none=True)
    metrics_revisions = fields.Integer()
    annual_report = fields.Nested(AnnualReportOut, allow_none=True)  # of the round's year or before
    quantitative = fields.Nested(QuantitativeOut, allow_none=True)  # rubrics scoring figures
    total = fields.Decimal(as_string=True, allow_none=True)  # experts' mean + quantitative points


class RoundOut(RoundRowOut):
    bases = fields.List(fields.Nested(RoundBaseOut))


class ProposedOut(Schema):
    to_status = fields.String()
    reason = fields.String()
    rectification_deadline = Timestamp(allow_none=True)
    policy_version = fields.String()


class WhatIfRowOut(Schema):
    base_id = fields.UUID()
    name = fields.String()
    grade = fields.String()
    score = fields.Decimal(as_string=True)
    from_status = fields.String()
    actual = fields.Nested(DecisionOut)
    proposed = fields.Nested(ProposedOut)
    changed = fields.Boolean()


class WhatIfOut(Schema):
    round_id = fields.UUID()
    applied_policy_version = fields.String()
    policy_version = fields.String()
    decisions = fields.List(fields.Nested(WhatIfRowOut))


class DimensionOut(Schema):
    code = fields.String()
    name = fields.String()
    weight = fields.Decimal(as_string=True)
    indicators = fields.List(fields.String())


class RubricOut(Schema):
    version = fields.String()
    kind = fields.String()
    title = fields.String()
    thresholds = fields.Dict(keys=fields.String(), values=fields.Decimal(as_string=True))
    dimensions = fields.List(fields.Nested(DimensionOut))
    quantitative = fields.List(fields.Nested(QuantitativeIndicatorOut))
