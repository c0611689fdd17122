"""Envelopes are snapshotted every 50 events; loading from a snapshot gives exactly the
state that replaying the whole history gives."""

from bench.snapshots import WithoutSnapshots, envelope_with_history
from services.funding.application import FundingApplication

MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.popo"}


def test_an_envelope_with_a_long_history_loads_from_its_latest_snapshot():
    app = FundingApplication(env=MEMORY)
    envelope_id = envelope_with_history(app, 120)
    snapshots = list(app.snapshots.get(envelope_id))
    assert [s.originator_version for s in snapshots] == [50, 100]

    replayed = WithoutSnapshots(env=MEMORY)
    for event in app.events.get(envelope_id):  # the same history, without snapshots
        replayed.events.put([event])
    assert vars(app.repository.get(envelope_id)) == vars(replayed.repository.get(envelope_id))
