"""Nested shapes used by several contracts: region, contact, plan tasks and targets."""

from decimal import Decimal

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from .fields import MAX_MONEY, City, Day, ExactDecimal, LoggedName, Timestamp
from .text import FreeText, Name
from .vocabulary import ANNUAL_INDICATORS, CONSTRUCTION_TASKS, KINDS, METRICS, REFORM_AREAS, ROLES


class Strict(Schema):
    """Base for every contract schema: unknown fields are an error, not silently dropped."""

    class Meta:
        unknown = RAISE


class RegionSchema(Strict):
    """Where a base is: its city (设区市) and county-level unit (县、市、区)."""

    city = LoggedName(max_length=50)
    county = LoggedName(max_length=50)


class RegionRequest(Strict):
    """A region as a request gives it: one of Shanxi's cities (see ``City``) and a
    county-level unit, under the text policy."""

    city = City(required=True)
    county = Name(max_length=50)


PHONE = validate.Regexp(r"^\+?[0-9][0-9\- ]{6,19}$", error="Not a valid phone number.")


class ContactSchema(Strict):
    """The person answering for a declaration."""

    name = LoggedName(max_length=50)
    phone = fields.String(required=True, validate=PHONE)
    email = fields.Email(load_default=None, allow_none=True)


class ContactRequest(Strict):
    """A contact person as a request gives it."""

    name = Name(max_length=50)
    phone = fields.String(required=True, validate=PHONE)
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=254))


class PlanTaskSchema(Strict):
    """One construction task of the base's kind (section 四) and the measures planned."""

    task = fields.String(required=True)
    measures = LoggedName(max_length=4000)
    reform_areas = fields.List(
        fields.String(validate=validate.OneOf(REFORM_AREAS)), load_default=list
    )


class PlanTaskRequest(Strict):
    """A construction task of a plan as a request gives it (measures: text with lines)."""

    task = fields.String(required=True, validate=validate.OneOf(
        sorted({code for tasks in CONSTRUCTION_TASKS.values() for code in tasks})))
    measures = FreeText(max_length=4000, required=True, blank=False)
    reform_areas = fields.List(
        fields.String(validate=validate.OneOf(REFORM_AREAS)), load_default=list,
        validate=validate.Length(max=len(REFORM_AREAS)))


class TargetSchema(Strict):
    """A measurable target the plan commits to (metric, value, due date)."""

    metric = fields.String(required=True, validate=validate.OneOf(METRICS))
    value = ExactDecimal(required=True, minimum=Decimal(0))
    due = fields.Date(required=True)


class AnnualTargetSchema(TargetSchema):
    """A target since PlanFiled version 2: it may name any indicator of the annual
    self-evaluation (``ANNUAL_INDICATORS``), not only the half-yearly metrics."""

    metric = fields.String(required=True, validate=validate.OneOf(ANNUAL_INDICATORS))


class TargetRequest(Strict):
    """A plan's target as a request gives it: an indicator of the annual
    self-evaluation, a value no consumer chokes on, a due date of this century (the
    annual report of the due date's year is held to it)."""

    metric = fields.String(required=True, validate=validate.OneOf(ANNUAL_INDICATORS))
    value = ExactDecimal(required=True, minimum=Decimal(0), maximum=MAX_MONEY)
    due = Day(required=True)


class ApprovalSchema(Strict):
    """Who approved a plan version, in which capacity, and when."""

    actor_id = fields.UUID(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    name = fields.String(load_default="")
    approved_at = Timestamp(required=True)


def check_tasks_cover_kind(kind: str, tasks: list[dict]) -> None:
    """A plan covers each construction task of its kind exactly once, and nothing else."""
    if kind not in KINDS:
        return
    expected = CONSTRUCTION_TASKS[kind]
    codes = [t["task"] for t in tasks]
    errors = []
    unknown = sorted(set(codes) - set(expected))
    if unknown:
        errors.append(f"Not construction tasks of a {kind} base: {', '.join(unknown)}.")
    missing = [code for code in expected if code not in codes]
    if missing:
        errors.append(f"Missing construction tasks: {', '.join(missing)}.")
    repeated = sorted({c for c in codes if codes.count(c) > 1})
    if repeated:
        errors.append(f"Tasks listed twice: {', '.join(repeated)}.")
    if errors:
        raise ValidationError(errors, field_name="tasks")


class PlanContentSchema(Strict):
    """Tasks and targets of a construction plan for a base of ``kind``."""

    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    tasks = fields.List(fields.Nested(PlanTaskSchema), required=True)
    targets = fields.List(fields.Nested(TargetSchema), required=True,
                          validate=validate.Length(min=1, max=100))

    @validates_schema
    def _tasks_of_kind(self, data, **kwargs):
        check_tasks_cover_kind(data.get("kind"), data.get("tasks") or [])
