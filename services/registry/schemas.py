"""Request and response shapes of the registry's HTTP and RPC API."""

from marshmallow import Schema, fields, validate

from services.backbone.audit import jsonable
from services.contracts.common import (
    ApprovalSchema,
    ContactSchema,
    PlanTaskSchema,
    RegionSchema,
    Strict,
    TargetSchema,
)
from services.contracts.fields import Name, Timestamp
from services.contracts.vocabulary import KINDS, STATUSES


class DeclareRequest(Strict):
    """POST /bases"""

    name = Name()
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    region = fields.Nested(RegionSchema, required=True)
    competent_department = Name()
    batch_id = fields.UUID(required=True)
    contact = fields.Nested(ContactSchema, required=True)


class PlanRequest(Strict):
    """PUT /bases/<id>/plan: a draft, or a revision (a new version)."""

    tasks = fields.List(fields.Nested(PlanTaskSchema), required=True,
                        validate=validate.Length(min=1, max=20))
    targets = fields.List(fields.Nested(TargetSchema), required=True,
                          validate=validate.Length(min=1, max=100))


class ApprovalRequest(Strict):
    """POST /bases/<id>/plan/approvals: approves this version of the plan."""

    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


class ListQuery(Strict):
    """GET /bases?kind=&city=&county=&status=&batch_id="""

    kind = fields.String(validate=validate.OneOf(KINDS))
    city = fields.String(validate=validate.Length(min=1, max=50))
    county = fields.String(validate=validate.Length(min=1, max=50))
    status = fields.String(validate=validate.OneOf(STATUSES))
    batch_id = fields.UUID()


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
    contact = fields.Nested(ContactSchema)
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

