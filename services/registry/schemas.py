"""Request and response shapes of the registry's HTTP and RPC API."""

from marshmallow import Schema, fields, pre_load, validate

from services.backbone.eventstore.audit import jsonable
from services.backbone.web.paging import PageQuery
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
from services.contracts.fields import City, Count, Moment, Timestamp
from services.contracts.registry import CONTACT_ROLES, Declaration, DeclaredContactSchema
from services.contracts.text import FreeText, Name
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


SORTS = ("declared_at", "-declared_at", "name", "-name", "updated_at", "-updated_at", "status", "city")


class ListQuery(PageQuery):
    """GET /bases?kind=&city=&county=&status=&batch_id=&limit=&offset="""

    kind = fields.String(validate=validate.OneOf(KINDS))
    city = City()
    county = Name(max_length=50, required=False)
    status = fields.String(validate=validate.OneOf(STATUSES))
    batch_id = fields.UUID()
    # The console's 基地 list (issue 25): a name search, the competent department, an order.
    q = Name(max_length=100, required=False)
    competent_department = Name(max_length=100, required=False)
    sort = fields.String(validate=validate.OneOf(SORTS))


class RevocationRequest(Strict):
    """POST /tokens/revocations: the token's ``jti`` and expiry (``sc token revoke`` reads
    them from the token), and why."""

    jti = fields.UUID(required=True)
    expires_at = Moment(required=True)
    reason = FreeText(max_length=500, required=True, blank=False)


class AsOfQuery(Strict):
    """GET /bases/status?as_of=2018-07-01T00:00:00+08:00[&base_id=]"""

    as_of = Moment(required=True)
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


class BaseOut(Schema):
    """A base as the API returns it."""

    base_id = fields.UUID(attribute="id")
    name = fields.String()
    kind = fields.String()
    region = fields.Nested(RegionSchema)
    competent_department = fields.String()
    batch_id = fields.UUID()
    contacts = fields.List(fields.Nested(DeclaredContactSchema))
    declared_by = fields.UUID()
    status = fields.String()
    declared_at = Timestamp(attribute="created_on")
    updated_at = Timestamp(attribute="modified_on")
    plan = fields.Nested(PlanOut, allow_none=True)
    filed_version = fields.Integer(allow_none=True)
    adjustments = fields.List(fields.Nested(AdjustmentOut))


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
    filed_version = fields.Integer(allow_none=True)


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


# -- the console's summary and 待办 (issue 25) ----------------------------------------------------

class StatsSummaryOut(Schema):
    """GET /stats/summary: counts by kind, status and city; month-end totals over time."""

    total = fields.Integer()
    by_kind = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_status = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_city = fields.Dict(keys=fields.String(), values=fields.Raw())
    over_time = fields.List(fields.Raw())


class TodoItemOut(Schema):
    """An item of GET /todo: the task's code (``vocabulary.TODO_TASKS``), its base, since when."""

    task = fields.String()
    base_id = fields.UUID()
    base_name = fields.String()
    since = Timestamp()
    status = fields.String()
    detail = fields.String()
    link = fields.String()
