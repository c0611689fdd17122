"""Test data: a registry log of any length, written fast.

The events are the registry's own, made once by its domain (a few hundred template
bases of every kind and region) and then copied for each new base with a new id and a
unique name, and written straight through the application's recorder in big batches:
the same rows, hash chain included, as commands would write, at a fraction of the cost.
"""

from datetime import date, datetime, timezone
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from services.backbone.kernel.context import Actor
from services.contracts.vocabulary import CONSTRUCTION_TASKS
from services.registry.domain import Base

PLACEHOLDER = "基准基地@@@@@@@@"  # replaced in the stored state by a name of the same form
KINDS = ("university", "regional", "enterprise")
REGIONS = (("太原市", "小店区"), ("吕梁市", "孝义市"), ("大同市", "平城区"), ("长治市", "潞州区"),
           ("晋中市", "榆次区"), ("运城市", "盐湖区"))
TEMPLATES = 240
APPLICANT_ID = UUID("8c0b7f2e-3a61-4b43-9d0e-5f1f0c2b2017")


def _base(number: int, batch_id: UUID) -> Base:
    kind = KINDS[number % len(KINDS)]
    city, county = REGIONS[number % len(REGIONS)]
    actor = Actor(id=APPLICANT_ID, role="applicant", name="申报单位")
    return Base(name=PLACEHOLDER, kind=kind, region={"city": city, "county": county},
                competent_department="山西省发展和改革委员会", batch_id=batch_id,
                contacts=[{"name": "王老师", "phone": "0351-7010000", "email": "bench@example.cn",
                           "role": "primary"}],
                declared_by=actor.id, ctx=actor.context())


def _lifecycle(base: Base) -> None:
    """Certified, plan drafted, approved twice, filed, then retained: 7 events in all."""
    drc = Actor(id=APPLICANT_ID, role="drc", name="省发展改革委")
    applicant = Actor(id=APPLICANT_ID, role="applicant", name="申报单位")
    county = Actor(id=APPLICANT_ID, role="county_government", name="县政府",
                   region=(base.region["city"], base.region["county"]))
    department = Actor(id=APPLICANT_ID, role="competent_department", name="主管部门",
                       org=base.competent_department)
    base.record_adjustment(from_status="declared", to_status="certified", reason="评选认定",
                           basis="selection", decision={}, ctx=drc.context())
    tasks = [{"task": task, "measures": "措施"} for task in CONSTRUCTION_TASKS[base.kind]]
    # As a request loads it (a date, not its text): the relay publishes these events too.
    targets = [{"metric": "patents", "value": "20", "due": date(2018, 12, 31)}]
    base.draft_plan(tasks=tasks, targets=targets, actor=applicant, ctx=applicant.context())
    now = datetime.now(timezone.utc)
    for approver in (county, department):
        base.approve_plan(version=1, actor=approver, approved_at=now, ctx=approver.context())
    base.file_plan(actor=applicant, ctx=applicant.context())
    base.record_adjustment(from_status="certified", to_status="retained", reason="年度评估合格",
                           basis="evaluation", decision={}, ctx=drc.context())


def templates(app, batch_id: UUID, lifecycle: bool) -> list[list[StoredEvent]]:
    """The stored events of each template base (declared only, or its whole lifecycle)."""
    result = []
    for number in range(TEMPLATES):
        base = _base(number, batch_id)
        if lifecycle:
            _lifecycle(base)
        result.append([app.mapper.to_stored_event(e) for e in base.collect_events()])
    return result


def write_registry_log(app, events: int, batch_id: UUID, lifecycle: bool = True,
                       batch_size: int = 20000, start: int = 0) -> int:
    """Appends about ``events`` events (whole bases) to the registry app's log; returns
    how many bases were written. Base ids are derived from their unique names, as the
    registry derives them."""
    shapes = templates(app, batch_id, lifecycle)
    placeholder = PLACEHOLDER.encode()
    pending: list[StoredEvent] = []
    written = number = 0
    while written + len(pending) < events:
        name = f"基准基地{start + number:08d}"
        base_id = Base.create_id(name, batch_id)
        for stored in shapes[number % len(shapes)]:
            state = stored.state.replace(placeholder, name.encode()) if stored.originator_version == 1 else stored.state
            pending.append(StoredEvent(originator_id=base_id, originator_version=stored.originator_version,
                                       topic=stored.topic, state=state))
        number += 1
        if len(pending) >= batch_size:
            app.recorder.insert_events(pending)
            written += len(pending)
            pending = []
    if pending:
        app.recorder.insert_events(pending)
    return number
