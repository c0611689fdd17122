"""Request and response shapes of the registry's HTTP and RPC API."""

from marshmallow import Schema, fields, pre_load, validate

from services.backbone.eventstore.audit import jsonable
from services.backbone.web.paging import PageQuery, SearchText, sortable
from services.contracts.common import (
    ApprovalSchema,
    ContactRequest,
    PlanTaskRequest,
    PlanTaskSchema,
    RegionRequest,
    RegionSchema,
    Strict,
    TargetRequest,
    TargetSchema,
)
from services.contracts.fields import DAY_ENDS, City, Count, Moment, Timestamp
from services.contracts.registry import CONTACT_ROLES, Declaration, DeclaredContactSchema
from services.contracts.text import FreeText, Name
from services.contracts.national import NATIONAL_STATUSES
from services.contracts.vocabulary import KINDS, STATUSES


class DeclaredContactRequest(ContactRequest):
    role = fields.String(required=True, validate=validate.OneOf(CONTACT_ROLES))


class DeclareRequest(Declaration):
    """POST /bases: the declaration as published (BaseDeclared v2) without its id. A
    client written before 2018 may still send a single ``contact``, taken as primary.
    Names and the region go through the text policy and the city must be one of
    Shanxi's 11 (the event itself takes any text, so that declarations logged before
    these rules still load)."""

    name = Name()
    competent_department = Name()
    region = fields.Nested(RegionRequest, required=True)
    contacts = fields.List(fields.Nested(DeclaredContactRequest), required=True,
                           validate=validate.Length(min=1, max=5))

    @pre_load
    def _single_contact_of_old_clients(self, data, **kwargs):
        if isinstance(data, dict) and "contact" in data and "contacts" not in data:
            data = dict(data)
            contact = data.pop("contact")
            data["contacts"] = [{**contact, "role": "primary"} if isinstance(contact, dict) else contact]
        return data


class PlanRequest(Strict):
    """PUT /bases/<id>/plan: a draft, or a revision (a new version)."""

    tasks = fields.List(fields.Nested(PlanTaskRequest), required=True,
                        validate=validate.Length(min=1, max=20))
    targets = fields.List(fields.Nested(TargetRequest), required=True,
                          validate=validate.Length(min=1, max=100))


MAX_PLAN_VERSIONS = 1000


class ApprovalRequest(Strict):
    """POST /bases/<id>/plan/approvals: approves this version of the plan."""

    version = Count(required=True, minimum=1, maximum=MAX_PLAN_VERSIONS)


class ReassignRequest(Strict):
    """POST /bases/<id>/representative: the DRC hands a declaration to the applicant
    that answers for the unit, and says why."""

    applicant_id = fields.UUID(required=True)
    reason = FreeText(max_length=500, required=True, blank=False)


class ListQuery(PageQuery):
    """GET /bases?q=&kind=&city=&county=&competent_department=&status=&batch_id=&sort=&limit=&offset=
    (``q``: part of the base's, that is its unit's, name; ``competent_department``: the
    whole name, compared by key)"""

    SORTABLE = sortable("name", "kind", "status", "competent_department", "declared_at",
                        "updated_at", city="region.city", county="region.county")
    SEARCHED = ("name",)

    q = SearchText()
    kind = fields.String(validate=validate.OneOf(KINDS))
    city = City()
    county = Name(max_length=50, required=False)
    competent_department = Name(required=False)
    status = fields.String(validate=validate.OneOf(STATUSES))
    batch_id = fields.UUID()


class UnitsQuery(PageQuery):
    """GET /units?q=&sort=&limit=&offset= (``q``: part of the unit's name)"""

    SORTABLE = sortable("name", "declarations", "first_declared_at", "last_declared_at")
    SEARCHED = ("name",)

    q = SearchText()


class BatchesQuery(PageQuery):
    """GET /batches?sort=&limit=&offset="""

    SORTABLE = sortable("name", "opens_at", "closes_at", "quota")


class RevocationRequest(Strict):
    """POST /tokens/revocations: the token's ``jti`` and expiry (``sc token revoke`` reads
    them from the token), and why."""

    jti = fields.UUID(required=True)
    expires_at = Moment(required=True)
    reason = FreeText(max_length=500, required=True, blank=False)


class AsOfQuery(Strict):
    """GET /bases/status?as_of=2018-07-01T00:00:00+08:00[&base_id=]; a date
    (``as_of=2018-06-30``) is the end of that day, Beijing time: the day's decisions
    included."""

    as_of = Moment(required=True, day=DAY_ENDS)
    base_id = fields.UUID(load_default=None)


class StatusAsOfOut(Schema):
    base_id = fields.UUID()
    name = fields.String()
    kind = fields.String()
    region = fields.Nested(RegionSchema)
    batch_id = fields.UUID()
    status = fields.String()
    since = Timestamp()


class PlanOut(Schema):
    version = fields.Integer()
    tasks = fields.List(fields.Nested(PlanTaskSchema))
    targets = fields.List(fields.Nested(TargetSchema))
    approvals = fields.Method("_approvals")
    returned = fields.Function(lambda plan: jsonable(plan.get("returned")))

    def _approvals(self, plan):
        return ApprovalSchema(many=True).dump(list(plan["approvals"].values()))


class AdjustmentOut(Schema):
    to = fields.String(data_key="to_status")
    from_ = fields.String(attribute="from", data_key="from_status")
    reason = fields.String()
    basis = fields.String()
    # the decision as evaluation published it, loaded by its contract: a rectification
    # deadline is a datetime, to be written in ISO 8601 like every other time
    decision = fields.Function(lambda adjustment: jsonable(adjustment["decision"]))


class NationalStandingOut(Schema):
    """A base's national standing (推荐国家级), a dimension apart from its status."""

    status = fields.String(validate=validate.OneOf(NATIONAL_STATUSES))
    call_id = fields.UUID()
    document_number = fields.String(allow_none=True)
    effective_on = fields.Date(allow_none=True)


class BaseOut(Schema):
    """A base as the API returns it."""

    base_id = fields.UUID(attribute="id")
    name = fields.String()
    kind = fields.String()
    region = fields.Nested(RegionSchema)
    competent_department = fields.String()
    batch_id = fields.UUID()
    contacts = fields.List(fields.Nested(DeclaredContactSchema), allow_none=True)  # null: withheld
    declared_by = fields.UUID()
    status = fields.String()
    declared_at = Timestamp(attribute="created_on")
    updated_at = Timestamp(attribute="modified_on")
    plan = fields.Nested(PlanOut, allow_none=True)
    plans = fields.List(fields.Nested(PlanOut))  # every version: each round of review is kept
    filed_version = fields.Integer(allow_none=True)
    adjustments = fields.List(fields.Nested(AdjustmentOut))
    national = fields.Nested(NationalStandingOut, allow_none=True)  # beside the status
    declaration_returns = fields.Function(lambda base: jsonable(base.declaration_returns))


class BaseRowOut(Schema):
    """A row of GET /bases."""

    base_id = fields.UUID()
    name = fields.String()
    kind = fields.String()
    region = fields.Nested(RegionSchema)
    competent_department = fields.String()
    batch_id = fields.UUID()
    status = fields.String()
    declared_at = Timestamp()
    updated_at = Timestamp()
    plan_version = fields.Integer(allow_none=True)
    plan_approvals = fields.List(fields.String())
    plan_returned = fields.Boolean(load_default=False)  # the current version waits for its revision
    declaration_returned = fields.Boolean(load_default=False)  # returned for completion, not resubmitted
    filed_version = fields.Integer(allow_none=True)
    national = fields.Nested(NationalStandingOut, allow_none=True)


class UnitOut(Schema):
    """A declaring unit (申报单位): its name, how often it declared, its latest base."""

    unit_id = fields.UUID()
    name = fields.String()
    declarations = fields.Integer()
    latest_base_id = fields.UUID()
    first_declared_at = Timestamp()
    last_declared_at = Timestamp()


class BatchOut(Schema):
    batch_id = fields.UUID()
    name = fields.String()
    opens_at = Timestamp()
    closes_at = Timestamp()
    quota = fields.Integer()
    closed = fields.Boolean()


class HistoryEntryOut(Schema):
    """An entry of GET /bases/<id>/history."""

    event = fields.String()
    version = fields.Integer()
    at = Timestamp()
    actor = fields.Method("_actor")
    correlation_id = fields.UUID()
    data = fields.Method("_data")

    def _actor(self, entry):
        return jsonable(entry["actor"])

    def _data(self, entry):
        return jsonable(entry["data"])



class PlanReturnRequest(Strict):
    """POST /bases/<id>/plan/returns: sends this version back for revision, with why."""

    version = Count(required=True, minimum=1, maximum=MAX_PLAN_VERSIONS)
    comments = FreeText(max_length=2000, required=True, blank=False, multiline=True)


class DeclarationReturnRequest(Strict):
    """POST /bases/<id>/declaration/returns: the DRC returns it for completion (退回补正)."""

    comments = FreeText(max_length=2000, required=True, blank=False, multiline=True)


class ResubmissionRequest(Strict):
    """POST /bases/<id>/declaration/resubmissions: the applicant's completed declaration."""

    note = FreeText(max_length=2000, load_default="", multiline=True)


class AttachmentFields(Strict):
    """The form fields of POST /bases/<id>/documents beside ``file`` and ``kind``: what
    the document is attached to (a plan or approval names its version)."""

    attached_to = fields.String(required=True, validate=validate.OneOf(("declaration", "plan", "approval")))
    version = fields.Integer(validate=validate.Range(min=1, max=MAX_PLAN_VERSIONS),
                             load_default=None)  # a form's fields are text: "2" is 2


# -- the console's summary and 待办 (issue 25) ----------------------------------------------------

class StatsSummaryOut(Schema):
    """GET /stats/summary: counts by kind, status and city; month-end totals over time."""

    total = fields.Integer()
    by_kind = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_status = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_city = fields.Dict(keys=fields.String(), values=fields.Raw())
    over_time = fields.List(fields.Raw())



# -- the DRC's statistics (issue 27 §4) -----------------------------------------------------------

class StatsQuery(Strict):
    """GET /stats/bases?kind=&city=&county=&status=&batch_id=&year=&as_of= (the lists'
    filters; ``year``: of declaration, Beijing time; ``as_of``: a day, counted at its end)"""

    kind = fields.String(validate=validate.OneOf(KINDS), load_default=None)
    city = City(load_default=None)
    county = Name(max_length=50, required=False, load_default=None)
    status = fields.String(validate=validate.OneOf(STATUSES), load_default=None)
    batch_id = fields.UUID(load_default=None)
    year = fields.Integer(validate=validate.Range(min=2015, max=2100), load_default=None)
    as_of = Moment(day=DAY_ENDS, load_default=None)


class CountyCountOut(Schema):
    city = fields.String()
    county = fields.String()
    total = fields.Integer()
    demonstration = fields.Integer()


class TargetOut(Schema):
    """The policy's target: about 30 demonstration bases by the end of 2019."""

    bases = fields.Integer()
    by = fields.String()
    reached = fields.Integer()
    share = fields.String(metadata={"description": "percent of the target reached, e.g. '40.0'"})
    counties = fields.Integer()
    met = fields.Boolean()


class BaseStatisticsOut(Schema):
    """GET /stats/bases: counts of bases by kind, city, county, status, batch and year."""

    as_of = fields.String(allow_none=True)
    total = fields.Integer()
    demonstration = fields.Integer()
    by_kind = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_city = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_status = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_year = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_batch = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_county = fields.List(fields.Nested(CountyCountOut))
    target = fields.Nested(TargetOut)
