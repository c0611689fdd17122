"""Events as audit entries: what happened, when, who did it, in which capacity, and why."""

import csv
import dataclasses
import heapq
import io
import json
from datetime import date, datetime
from decimal import Decimal
from itertools import islice
from uuid import UUID

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from services.contracts.fields import DAY_ENDS, DAY_STARTS, Moment
from services.contracts.envelope import MAX_POSITION
from services.contracts.vocabulary import ACTOR_ROLES

from services.backbone.eventstore.idempotency import IdempotencyRecord
from services.backbone.kernel.context import Actor, Context
from services.backbone.kernel.privacy import for_viewer

REDACTED = "[redacted]"

_ENVELOPE_ATTRIBUTES = ("originator_id", "originator_version", "timestamp", "ctx",
                        "originator_topic")


def describe_event(event) -> dict:
    """An aggregate event as an audit entry: type, version, time, actor and its data."""
    data = {key: value for key, value in vars(event).items() if key not in _ENVELOPE_ATTRIBUTES}
    ctx: Context = event.ctx
    return {
        "event": type(event).__name__,
        "aggregate_id": event.originator_id,
        "version": event.originator_version,
        "at": event.timestamp,
        "actor": {"id": ctx.actor_id, "role": ctx.role, "name": ctx.name},
        "correlation_id": ctx.correlation_id,
        "data": data,
    }


def jsonable(value):
    """Plain JSON types for audit data and read models: UUIDs, money and times as
    strings, dataclasses as dicts, sets as sorted lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((jsonable(v) for v in value), key=str)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (UUID, Decimal)):
        return str(value)
    if isinstance(value, Context):
        return jsonable(value.as_dict())
    return value


MAX_PAGE = 100000


class AuditFilters(Schema):
    """Filters of an audit query; all optional, combined with AND."""

    class Meta:
        unknown = RAISE

    base_id = fields.UUID()
    actor_id = fields.UUID()
    role = fields.String(validate=validate.OneOf(ACTOR_ROLES))  # the public objects too
    event_type = fields.String(validate=validate.Regexp(r"^[A-Za-z][A-Za-z.]{0,79}$",
                                                        error="An event type such as BaseDeclared."))
    since = Moment(day=DAY_STARTS)  # a date: from 00:00 Beijing time
    until = Moment(day=DAY_ENDS)  # a date: through the whole day


class AuditQuery(AuditFilters):
    """One service's audit query: ``after`` a position of its log, at most ``limit``
    entries, which may be one more than a page (the platform audit asks so, to know
    whether more follow)."""

    after = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_POSITION))
    limit = fields.Integer(load_default=1000, validate=validate.Range(min=1, max=MAX_PAGE + 1))


def parse_position(text: str) -> int | None:
    """A log position as a query writes it (ASCII digits, at most ``MAX_POSITION``),
    or None: ``str.isdigit`` also takes "²", which ``int`` refuses."""
    if not (text.isascii() and text.isdigit() and len(text) <= len(str(MAX_POSITION))):
        return None
    return int(text) if int(text) <= MAX_POSITION else None


def parse_cursor(text: str) -> dict[str, int]:
    """``registry:12,evaluation:40`` as each service's last position given."""
    from services.backbone.messaging.topology import SUBSCRIPTIONS

    positions = {}
    for part in filter(None, text.split(",")):
        service, _, position = part.partition(":")
        if service not in SUBSCRIPTIONS or parse_position(position) is None:
            raise ValidationError("Not a cursor an audit page gave (service:position,...).")
        positions[service] = parse_position(position)
    return positions


def cursor_text(positions: dict[str, int]) -> str:
    return ",".join(f"{service}:{position}" for service, position in sorted(positions.items()))


class Cursor(fields.String):
    """Where a page of the platform audit ended (what that page answered as ``cursor``)."""

    def _deserialize(self, value, attr, data, **kwargs) -> dict[str, int]:
        return parse_cursor(super()._deserialize(value, attr, data, **kwargs))


class PlatformAuditQuery(AuditFilters):
    """The audit across services, a page at a time: ``limit`` entries from ``cursor``."""

    limit = fields.Integer(load_default=1000, validate=validate.Range(min=1, max=MAX_PAGE))
    cursor = Cursor(load_default=dict)


def _matches(entry: dict, query: dict) -> bool:
    event_name = entry["event"]
    return (
        ("base_id" not in query or entry["base_id"] == query["base_id"])
        and ("actor_id" not in query or entry["actor"]["id"] == query["actor_id"])
        and ("role" not in query or entry["actor"]["role"] == query["role"])
        and ("event_type" not in query or query["event_type"] in (event_name, event_name.split(".")[-1]))
        and ("since" not in query or entry["at"] >= query["since"])
        and ("until" not in query or entry["at"] <= query["until"])
    )


def audit_data(app, event, viewer: Actor) -> tuple[dict, list[str]]:
    """An event's data as ``viewer`` may read it in the audit trail, and what was
    withheld: the application's ``audit_secrets`` are "[redacted]" for everyone, and
    personal data follows privacy.py's rule, in its own events and in copies they hold."""
    data = {key: value for key, value in vars(event).items() if key not in _ENVELOPE_ATTRIBUTES}
    for path in app.audit_secrets:
        data = _redacted(data, path.split("."))
    if isinstance(event, IdempotencyRecord.Answered):  # a copy of an answer: personal data, maybe
        data = _redacted(data, ["answer"])
    withheld = []
    for name in app.personal_fields(event, viewer):
        if data.get(name) is not None:
            data[name] = None
            withheld.append(f"data.{name}")
    for key, value in data.items():
        if isinstance(value, dict) and {"type", "source", "payload"} <= value.keys():
            shown = for_viewer(value, viewer)
            if shown is not value:
                data[key] = shown
                withheld += [f"data.{key}.{name}" for name in shown["withheld"]]
    return data, withheld


def _redacted(data, keys: list[str]):
    """A copy of ``data`` with the value at ``keys`` (a dotted path) replaced."""
    if not isinstance(data, dict) or keys[0] not in data:
        return data
    inner = REDACTED if len(keys) == 1 else _redacted(data[keys[0]], keys[1:])
    return {**data, keys[0]: inner}


def audit_entries(app, query: dict, viewer: Actor) -> list[dict]:
    """This service's log past ``query["after"]`` as audit entries matching ``query``
    (in log order), with their data as ``viewer`` may read it (``audit_data``)."""
    entries = []
    after = query.get("after", 0)
    owners: dict = {}  # aggregate -> base, learnt from the aggregate's first event naming it
    for position, event in app.all_events(after=after):
        base_id = app.base_of(event) or owners.get(event.originator_id)
        if base_id is None and after and event.originator_id not in owners:
            base_id = _base_named_earlier(app, event)  # its first events are before this page
        owners[event.originator_id] = base_id
        entry = describe_event(event)
        entry.update(
            service=app.name,
            position=position,
            event=f"{type(event).__qualname__}",
            base_id=base_id,
            reason=getattr(event, "reason", None),
        )
        if _matches(entry, query):
            entry["data"], withheld = audit_data(app, event, viewer)
            if withheld:
                entry["withheld"] = withheld
            entries.append(entry)
            if len(entries) >= query.get("limit", 1000):
                break
    return entries


def _base_named_earlier(app, event) -> UUID | None:
    """The base named by an earlier event of ``event``'s aggregate, if any."""
    if event.originator_version <= 1:
        return None
    for earlier in app.events.get(event.originator_id, lte=event.originator_version - 1):
        base_id = app.base_of(earlier)
        if base_id is not None:
            return base_id
    return None


def merge_entries(pages: list[list[dict]], limit: int) -> list[dict]:
    """The first ``limit`` entries of several services' pages, each in its log's order,
    interleaved in time order (then service, then position). Each service keeps its own
    order, so a page ends at one position per service and the next goes on from there."""
    merged = heapq.merge(*pages, key=lambda e: (e["at"], e["service"], e["position"]))
    return list(islice(merged, limit))


CSV_COLUMNS = ["at", "service", "position", "event", "base_id", "actor_name", "actor_role",
               "actor_id", "reason", "correlation_id", "data"]


def to_csv(entries: list[dict]) -> str:
    """CSV for spreadsheets (UTF-8 with a byte-order mark, so Chinese opens correctly)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for e in entries:
        writer.writerow([e["at"], e["service"], e["position"], e["event"], e.get("base_id") or "",
                         e["actor"]["name"], e["actor"]["role"], e["actor"]["id"], e.get("reason") or "",
                         e["correlation_id"], json.dumps(e["data"], ensure_ascii=False, sort_keys=True)])
    return "\ufeff" + buffer.getvalue()


def collect_audit(settings, query: dict, limit: int, authorization: str,
                  cursor: dict[str, int] | None = None) -> dict:
    """One page of the audit across services, the first ``limit`` entries after
    ``cursor``, merged; a service that does not answer is named in ``missing``, and
    ``complete`` is true only when nothing was left out. ``authorization`` (the
    reader's own bearer header) is passed on, so each shows what they may see."""
    from nameko.standalone.rpc import ClusterRpcProxy

    from services.backbone.messaging.broker import nameko_config
    from services.backbone.messaging.topology import SUBSCRIPTIONS

    positions = dict(cursor or {})
    pages, missing = [], []
    with ClusterRpcProxy(nameko_config(settings), timeout=30,
                         context_data={"authorization": authorization}) as cluster:
        for service in SUBSCRIPTIONS:
            try:
                pages.append(getattr(cluster, service).audit_entries(
                    **query, after=positions.get(service, 0), limit=limit + 1))
            except Exception as error:  # reported in "missing"
                missing.append(f"{service}: {type(error).__name__}")
    entries = merge_entries(pages, limit)
    truncated = sum(len(page) for page in pages) > limit
    for entry in entries:
        positions[entry["service"]] = entry["position"]
    return {"entries": entries, "complete": not missing and not truncated, "missing": missing,
            "truncated": truncated, "cursor": cursor_text(positions) if truncated else None}


def collect_all_audit(settings, query: dict, page: int, authorization: str,
                      cursor: dict[str, int] | None = None, progress=None) -> dict:
    """Every entry, page after page (``page`` entries each), for an export; stops at
    the first page a service did not answer, which it names in ``missing``."""
    entries = []
    while True:
        answer = collect_audit(settings, query, page, authorization, cursor)
        entries += answer["entries"]
        if progress is not None:
            progress.advance(len(answer["entries"]))
        if answer["missing"] or not answer["truncated"]:
            return {"entries": entries, "complete": not answer["missing"],
                    "missing": answer["missing"], "truncated": False, "cursor": None}
        cursor = parse_cursor(answer["cursor"])
