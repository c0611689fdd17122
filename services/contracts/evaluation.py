"""Events published by the evaluation service (batches, selection, adjustment decisions)."""

from marshmallow import fields, validate, validates_schema, ValidationError

from .catalog import contract
from .common import Strict
from .fields import Name, Timestamp
from .vocabulary import GRADES, STATUSES

BASES_OF_DECISION = ("selection", "evaluation", "rectification", "deadline", "review")


@contract("BatchOpened", source="evaluation", version=1)
class BatchOpenedV1(Strict):
    """The DRC opened a declaration batch (申报批次) with its window and quota."""

    batch_id = fields.UUID(required=True)
    name = Name()
    opens_at = Timestamp(required=True)
    closes_at = Timestamp(required=True)
    quota = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=1000))

    @validates_schema
    def _window_is_ordered(self, data, **kwargs):
        if data.get("opens_at") and data.get("closes_at") and data["closes_at"] <= data["opens_at"]:
            raise ValidationError("Must be after opens_at.", field_name="closes_at")


@contract("BatchClosed", source="evaluation", version=1)
class BatchClosedV1(Strict):
    """The DRC closed a declaration batch; no more declarations join it."""

    batch_id = fields.UUID(required=True)


@contract("BaseAdjusted", source="evaluation", version=1)
class BaseAdjustedV1(Strict):
    """A decision changed the status of record of a base: certified or not selected after
    selection, or retained / warned / revoked / recommended after evaluation (动态调整)."""

    base_id = fields.UUID(required=True)
    from_status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    to_status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    reason = Name(max_length=1000)
    basis = fields.String(required=True, validate=validate.OneOf(BASES_OF_DECISION))
    batch_id = fields.UUID(load_default=None, allow_none=True)
    round_id = fields.UUID(load_default=None, allow_none=True)
    score = fields.Decimal(load_default=None, allow_none=True, places=2, as_string=True,
                           validate=validate.Range(min=0, max=100))
    grade = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(GRADES))
    rubric_version = fields.String(load_default=None, allow_none=True)
    policy_version = fields.String(load_default=None, allow_none=True)
    rectification_deadline = Timestamp(load_default=None, allow_none=True)
