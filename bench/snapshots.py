"""Snapshots of budget envelopes: how long loading an envelope with a long history
takes with snapshots (every 50 events, as the funding service runs) and without.

    .venv/bin/python -m bench.snapshots [--events 5000] [--loads 50]
"""

import argparse
import json
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

from services.backbone.kernel.context import Actor
from services.funding.application import FundingApplication
from services.funding.domain import Envelope

OFFICE = Actor(id=uuid4(), role="funding_office", name="财政厅")
KIND_CYCLE = ("regional", "university", "enterprise")


class WithoutSnapshots(FundingApplication):
    """The same application, loading envelopes from their full history."""

    name = "funding"
    snapshotting_intervals = {}


def envelope_with_history(app, events: int):
    """An envelope with ``events`` events as a year writes them: caps per kind and per
    base, commitments to bases of every kind, and money coming back (cancelled tranches,
    recovered payments, in part), so that a snapshot has every part of the state."""
    bases = [uuid4() for _ in range(10)]
    envelope = Envelope.open(fiscal_year=2017, fund_source="special_fund", name="省级双创专项资金",
                             total=Decimal("1000000000.00"),
                             caps_by_kind={"regional": Decimal("600000000.00"),
                                           "enterprise": Decimal("100000000.00")},
                             caps_by_base={bases[0]: Decimal("50000000.00")},
                             ctx=OFFICE.context())
    app.save(envelope)
    committed = []
    for number in range(1, events):
        if number % 5 == 0:  # every fifth event, part of a commitment comes back
            envelope.give_back(allocation_id=committed[number % len(committed)],
                               amount=Decimal("250.00"),
                               reason="cancelled" if number % 10 else "recovered",
                               ctx=OFFICE.context())
        else:
            committed.append(uuid4())
            envelope.allocate(allocation_id=committed[-1], base_id=bases[number % len(bases)],
                              kind=KIND_CYCLE[number % len(KIND_CYCLE)],
                              amount=Decimal("1000.00"), ctx=OFFICE.context())
        app.save(envelope)
    return envelope.id


def time_loads(app, envelope_id, loads: int) -> float:
    started = time.perf_counter()
    for _ in range(loads):
        app.repository.get(envelope_id)
    return (time.perf_counter() - started) / loads


def measure(events: int, loads: int) -> dict:
    with tempfile.TemporaryDirectory() as directory:
        env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite",
               "SQLITE_DBNAME": str(Path(directory) / "funding.sqlite3")}
        with_snapshots = FundingApplication(env=env)
        envelope_id = envelope_with_history(with_snapshots, events)
        without = WithoutSnapshots(env={**env, "IS_SNAPSHOTTING_ENABLED": "n"})
        assert vars(without.repository.get(envelope_id)) == vars(with_snapshots.repository.get(envelope_id))
        plain = time_loads(without, envelope_id, loads)
        snapped = time_loads(with_snapshots, envelope_id, loads)
        with_snapshots.close()
        without.close()
    return {"benchmark": "envelope load", "events": events, "loads": loads,
            "without_snapshots_ms": round(plain * 1000, 3),
            "with_snapshots_ms": round(snapped * 1000, 3),
            "speedup": round(plain / snapped, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--loads", type=int, default=50)
    args = parser.parse_args()
    print(json.dumps(measure(args.events, args.loads), ensure_ascii=False))


if __name__ == "__main__":
    main()
