"""Request and response shapes of the notifications HTTP and RPC API.

No response schema has a ``secret`` field: the webhook secret goes out once, in the
response that created it (``SubscribeOut``), and never again.
"""

from marshmallow import Schema, ValidationError, fields, missing, post_load, validate, validates_schema

from services.backbone.eventstore.audit import jsonable
from services.backbone.web.paging import PageQuery, sortable
from services.contracts import CATALOG
from services.contracts.common import Strict
from services.contracts.fields import City, Timestamp
from services.contracts.text import FreeText
from services.contracts.vocabulary import KINDS

from .backfill_state import CANCELLED, COMPLETED, RUNNING
from .domain import CHANNEL_FIELDS, FINAL

CHANNEL_KINDS = tuple(CHANNEL_FIELDS)
DELIVERY_STATUSES = ("pending", "sending") + FINAL
SECRET_LENGTH = validate.Regexp(r"^[\x21-\x7e]{16,200}$",
                                error="16 to 200 printable ASCII characters, without spaces.")


class RegionFilter(Strict):
    """A city (设区市, one of Shanxi's 11), or one county-level unit of it."""

    city = City(required=True)
    county = FreeText(max_length=50, multiline=False, load_default=None, allow_none=True)

    @post_load
    def _blank_is_none(self, data, **kwargs):
        return {**data, "county": data.get("county") or None}


class FilterSchema(Strict):
    """Which events: every list empty (or missing) means every event."""

    event_types = fields.List(fields.String(validate=validate.OneOf(
        sorted(t for t, spec in CATALOG.items() if spec.deliverable))),
                              load_default=list, validate=validate.Length(max=50))
    kinds = fields.List(fields.String(validate=validate.OneOf(KINDS)), load_default=list)
    regions = fields.List(fields.Nested(RegionFilter), load_default=list,
                          validate=validate.Length(max=200))
    base_ids = fields.List(fields.UUID(), load_default=list, validate=validate.Length(max=500))


class ChannelSchema(Strict):
    """webhook: ``url`` (and ``secret``, generated when absent); email: ``address``;
    inbox: nothing else."""

    kind = fields.String(required=True, validate=validate.OneOf(CHANNEL_KINDS))
    url = fields.URL(schemes={"http", "https"}, require_tld=False, validate=validate.Length(max=2000))
    secret = fields.String(validate=SECRET_LENGTH, load_only=True)
    address = fields.Email(validate=validate.Length(max=254))

    @validates_schema
    def _fields_of_kind(self, data, **kwargs):
        allowed = set(CHANNEL_FIELDS[data["kind"]])
        needs = allowed - {"secret"}  # a webhook without a secret gets a generated one
        errors = {name: ["Missing data for required field."] for name in needs - set(data)}
        errors.update({name: [f"Not used by a {data['kind']} channel."]
                       for name in set(data) - allowed - {"kind"}})
        if errors:
            raise ValidationError(errors)


class ChannelChange(Strict):
    """A new destination for the same kind of channel."""

    kind = fields.String(validate=validate.OneOf(CHANNEL_KINDS))
    url = fields.URL(schemes={"http", "https"}, require_tld=False, validate=validate.Length(max=2000))
    secret = fields.String(validate=SECRET_LENGTH, load_only=True)
    address = fields.Email(validate=validate.Length(max=254))


# ``from`` of a backfill, as the documents say it
BACKFILL_FROM = {"anyOf": [{"type": "string", "enum": ["beginning"]}, {"type": "string", "format": "date-time"}],
                 "description": '"beginning"（全部历史），或带时区的时刻（2017-03-01T00:00:00+08:00）'}


class BackfillFrom(fields.Field):
    """``"beginning"`` (None: every event of the logs), or a moment with its time zone."""

    def __init__(self, **kwargs):
        super().__init__(metadata=BACKFILL_FROM, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if value == "beginning":
            return None
        if not isinstance(value, str):
            raise ValidationError('"beginning", or a date and time with its zone.')
        try:
            return fields.AwareDateTime()._deserialize(value, attr, data, **kwargs)
        except ValidationError:
            raise ValidationError('"beginning", or a date and time with its zone '
                                  '(2017-03-01T00:00:00+08:00).') from None


class BackfillRequest(Strict):
    """``backfill`` of POST /subscriptions, and POST /subscriptions/<id>/backfill: the
    events before the subscription, from ``from``, at ``rate`` events a second at most
    (the configured pace when absent; never above notifications.backfill_max_rate_per_second)."""

    since = BackfillFrom(data_key="from", required=True)
    rate = fields.Float(validate=validate.Range(min=0.1, max=10000), allow_nan=False)


class SubscribeRequest(Strict):
    """POST /subscriptions"""

    label = FreeText(max_length=100, multiline=False)
    filter = fields.Nested(FilterSchema, load_default=dict)
    channel = fields.Nested(ChannelSchema, required=True)
    backfill = fields.Nested(BackfillRequest)


class ChangeRequest(Strict):
    """PATCH /subscriptions/<id>: any of label, filter (replaced whole), channel."""

    label = FreeText(max_length=100, multiline=False, load_default=missing)
    filter = fields.Nested(FilterSchema)
    channel = fields.Nested(ChannelChange)

    @validates_schema
    def _something_to_change(self, data, **kwargs):
        if not data:
            raise ValidationError("Give label, filter or channel.", field_name="_schema")


class SubscriptionQuery(PageQuery):
    """GET /subscriptions?status=&owner_id=&sort=&limit=&offset= (owner_id: the DRC and
    ops only)"""

    SORTABLE = sortable("label", "status", "created_at", "updated_at")

    status = fields.String(validate=validate.OneOf(("active", "cancelled")))
    owner_id = fields.UUID()


class DeliveryQuery(PageQuery):
    """GET /deliveries?subscription_id=&status=&sort=&limit=&offset="""

    SORTABLE = sortable("created_at", "delivered_at", "status", "event_type", "attempts",
                        next_attempt_at="due_at")

    subscription_id = fields.UUID()
    status = fields.String(validate=validate.OneOf(DELIVERY_STATUSES))


class InboxQuery(PageQuery):
    """GET /inbox?unread=true&sort=&limit=&offset="""

    SORTABLE = sortable("created_at", "read_at", "event_type")

    unread = fields.Boolean(load_default=None, allow_none=True)


class OwnerOut(Schema):
    actor_id = fields.UUID()
    role = fields.String()
    name = fields.String()
    org = fields.String(allow_none=True)
    region = fields.List(fields.String(), allow_none=True)


class PublicChannelOut(Schema):
    kind = fields.String()
    url = fields.String()
    address = fields.String()


class BackfillOut(Schema):
    """A backfill's progress: per source, the position reached, the position where the
    live events begin for the subscription, and whether the live path has taken over."""

    status = fields.String(validate=validate.OneOf((RUNNING, COMPLETED, CANCELLED)))
    from_ = fields.Method("_from", data_key="from", metadata=BACKFILL_FROM)
    rate = fields.Float()
    delivered = fields.Integer()
    sources = fields.Method("_sources", metadata={
        "type": "object", "additionalProperties": {
            "type": "object", "properties": {"position": {"type": "integer"}, "live_from": {"type": "integer"},
                                             "caught_up": {"type": "boolean"}}},
        "description": "每个来源：已到的位置、该订阅实时事件开始的位置、实时是否已接手"})
    started_at = Timestamp()
    cancelled_at = Timestamp(allow_none=True)
    finished_at = Timestamp(allow_none=True)

    def _from(self, state):
        return "beginning" if state["since"] is None else state["since"].isoformat()

    def _sources(self, state):
        return {source: {"position": state["positions"][source], "live_from": start,
                         "caught_up": source in state["caught_up"]}
                for source, start in state["start"].items()}


class BackfillProgress(fields.Nested):
    """A subscription's last backfill's progress (``BackfillOut``), null when it has had
    none; one left open by cancelling the subscription itself is shown cancelled, since
    nothing will step it again."""

    def __init__(self, **kwargs):
        super().__init__(BackfillOut, allow_none=True, dump_default=None, **kwargs)

    def _serialize(self, state, attr, subscription, **kwargs):
        if state is None:
            return None
        active = subscription["status"] == "active" if isinstance(subscription, dict) else subscription.active
        if not active and state["finished_at"] is None:
            state = {**state, "status": "cancelled"}
        return super()._serialize(state, attr, subscription, **kwargs)


class _SubscriptionFields(Schema):
    label = fields.String()
    owner = fields.Nested(OwnerOut)
    filter = fields.Method("_filter")
    channel = fields.Nested(PublicChannelOut)
    backfill = BackfillProgress()

    def _filter(self, subscription):
        data = subscription["filter"] if isinstance(subscription, dict) else subscription.filter
        return jsonable(data)


class SubscriptionOut(_SubscriptionFields):
    """A subscription as the API returns it: never with its secret."""

    subscription_id = fields.UUID(attribute="id")
    status = fields.Method("_status")
    created_at = Timestamp(attribute="created_on")
    updated_at = Timestamp(attribute="modified_on")

    def _status(self, subscription):
        return "active" if subscription.active else "cancelled"


class SubscriptionRowOut(_SubscriptionFields):
    """A row of GET /subscriptions."""

    subscription_id = fields.UUID()
    status = fields.String()
    created_at = Timestamp()
    updated_at = Timestamp()


class AttemptOut(Schema):
    number = fields.Integer()
    started_at = Timestamp()
    finished_at = Timestamp(allow_none=True)
    outcome = fields.Method("_outcome")
    detail = fields.String(allow_none=True)
    error = fields.String(allow_none=True)
    counted = fields.Boolean(allow_none=True)
    retry_at = Timestamp(allow_none=True)

    def _outcome(self, attempt):
        return attempt["outcome"] or "in progress or interrupted"


class _DeliveryFields(Schema):
    subscription_id = fields.UUID()
    channel = fields.String()
    event_type = fields.String()
    event_id = fields.UUID()
    subject = fields.String(allow_none=True)
    title = fields.String()
    message = fields.String()
    status = fields.String()
    next_attempt_at = Timestamp(attribute="due_at", allow_none=True)
    delivered_at = Timestamp(allow_none=True)
    read_at = Timestamp(allow_none=True)


class DeliveryRowOut(_DeliveryFields):
    """A row of GET /deliveries and of the inbox."""

    delivery_id = fields.UUID()
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    created_at = Timestamp()


class DeliveryOut(_DeliveryFields):
    """GET /deliveries/<id>: the delivery with every attempt and the event itself."""

    delivery_id = fields.UUID(attribute="id")
    owner_id = fields.UUID()
    created_at = Timestamp(attribute="created_on")
    attempts = fields.List(fields.Nested(AttemptOut))
    event = fields.Dict(attribute="envelope")
