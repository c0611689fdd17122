"""Envelopes are snapshotted every 50 events, whichever path writes the 50th (a command,
one upstream event, a run of them, an event ops replayed); loading from a snapshot gives
exactly the state that replaying the whole history gives."""

from decimal import Decimal
from uuid import uuid4

from bench.snapshots import WithoutSnapshots, envelope_with_history
from services.backbone.kernel.context import SYSTEM_ACTOR, Actor
from services.funding.application import FundingApplication
from tests.support.funding import (
    base_adjusted_payload,
    base_declared_payload,
    plan_filed_payload,
    upstream_event,
)

MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.popo"}
OFFICE = Actor(id=uuid4(), role="funding_office", name="资金管理处")


def test_an_envelope_with_a_long_history_loads_from_its_latest_snapshot():
    app = FundingApplication(env=MEMORY)
    envelope_id = envelope_with_history(app, 120)
    snapshots = list(app.snapshots.get(envelope_id))
    assert [s.originator_version for s in snapshots] == [50, 100]
    history = list(app.events.get(envelope_id))
    returned = {e.reason for e in history if type(e).__name__ == "Returned"}
    assert returned == {"cancelled", "recovered"}  # caps, commitments and give-backs

    replayed = WithoutSnapshots(env=MEMORY)
    for event in history:  # the same history, without snapshots
        replayed.events.put([event])
    loaded, folded = app.repository.get(envelope_id), replayed.repository.get(envelope_id)
    assert vars(loaded) == vars(folded)
    assert loaded.caps_by_kind and loaded.caps_by_base and loaded.returned > 0
    assert loaded.committed_to(kind="enterprise") == folded.committed_to(kind="enterprise")


def funded_envelope_at_version_49(app):
    """A base with one allocation from an envelope that has 49 events, and the
    revocation that will give the allocation's money back: the envelope's 50th event."""
    base_id = uuid4()
    for position, (event_type, payload) in enumerate([
            ("BaseDeclared", base_declared_payload(base_id)),
            ("PlanFiled", plan_filed_payload(base_id))], start=1):
        app.receive(upstream_event("registry", event_type, payload, position))
    app.receive(upstream_event("evaluation", "BaseAdjusted",
                               base_adjusted_payload(base_id, "declared", "certified"), 1))
    envelope = app.open_envelope(fiscal_year=2017, fund_source="special_fund", name="专项",
                                 total=Decimal("10000000.00"), caps_by_kind={}, caps_by_base={},
                                 ctx=OFFICE.context())
    app.allocate(idempotency_key="k-1", base_id=base_id, envelope_id=envelope.id,
                 amount=Decimal("1000.00"), purpose="建设补助",
                 tranches=[{"amount": Decimal("1000.00"), "milestone": "建设方案备案"}],
                 ctx=OFFICE.context())
    envelope = app.envelope(envelope.id)
    while envelope.version < 49:  # other bases' commitments, to bring it to the edge
        envelope.allocate(allocation_id=uuid4(), base_id=uuid4(), kind="regional",
                          amount=Decimal("1.00"), ctx=OFFICE.context())
    app.save(envelope)
    revocation = upstream_event("evaluation", "BaseAdjusted",
                                base_adjusted_payload(base_id, "certified", "revoked", "撤销"), 2)
    return envelope.id, revocation


def snapshot_versions(app, envelope_id) -> list[int]:
    return [s.originator_version for s in app.snapshots.get(envelope_id)]


def test_an_envelope_whose_50th_event_a_run_of_upstream_events_writes_is_snapshotted():
    app = FundingApplication(env=MEMORY)
    envelope_id, revocation = funded_envelope_at_version_49(app)
    app.receive_run([revocation])
    assert app.envelope(envelope_id).version == 50
    assert snapshot_versions(app, envelope_id) == [50]


def test_an_envelope_whose_50th_event_a_replayed_parked_event_writes_is_snapshotted():
    app = FundingApplication(env=MEMORY)
    envelope_id, revocation = funded_envelope_at_version_49(app)
    ops = SYSTEM_ACTOR.context()
    assert app.park(revocation, "RuntimeError: the store hiccuped", 5, ops)
    assert app.replay_parked(revocation, ops)
    assert app.envelope(envelope_id).version == 50
    assert snapshot_versions(app, envelope_id) == [50]
