"""Many allocations racing for one envelope over HTTP, on SQLite and on PostgreSQL: the
envelope is never overspent, and exactly as many succeed as the money allows.

On PostgreSQL the service's workers interleave, so racing allocations really collide in
the store and the losers check the envelope again; the test counts those collisions.
SQLite's driver does not yield to other workers, so there the race is decided without
any; tests/unit/test_funding_application.py forces one on any store.
"""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from uuid import UUID

import pytest
import requests
from eventsourcing.persistence import IntegrityError

from services.backbone.eventstore.stores import is_postgres
from tests.support.funding import FundingUnderTest, allocation_body

RACERS = 30


@pytest.fixture
def funding(any_platform):
    service = FundingUnderTest(any_platform)
    yield service
    service.close()


def count_collisions(app, monkeypatch) -> list:
    """Every save that lost to a concurrent writer (optimistic concurrency)."""
    collisions, save = [], app.save

    def counting_save(*aggregates, **kwargs):
        try:
            return save(*aggregates, **kwargs)
        except IntegrityError:
            collisions.append(aggregates)
            raise

    monkeypatch.setattr(app, "save", counting_save)
    return collisions


def race(funding, base_ids, envelope_id, amount: str) -> list:
    start = threading.Barrier(RACERS)

    def allocate(number):
        start.wait()
        return requests.post(
            funding.url("/allocations"), timeout=60,
            json=allocation_body(base_ids[number % len(base_ids)], envelope_id, amount),
            headers=funding.office(**{"Idempotency-Key": f"race-{envelope_id}-{number}"}))

    with ThreadPoolExecutor(RACERS) as pool:
        return list(pool.map(allocate, range(RACERS)))


def test_racing_allocations_never_overspend_the_envelope(funding, monkeypatch):
    bases = [funding.eligible_base(name=f"基地{n}") for n in range(3)]
    envelope = funding.open_envelope(total="1000000.00")
    collisions = count_collisions(funding.app, monkeypatch)

    responses = race(funding, bases, envelope["envelope_id"], amount="70000.00")

    statuses = Counter(response.status_code for response in responses)
    assert statuses == {201: 14, 422: 16}, [r.text for r in responses if r.status_code not in (201, 422)]
    granted = sum(Decimal(r.json()["amount"]) for r in responses if r.status_code == 201)
    assert granted == Decimal("980000.00") <= Decimal(envelope["total"])
    refused = [r.json()["error"] for r in responses if r.status_code == 422]
    assert all(list(error["fields"]) == ["amount"] for error in refused)
    summary = funding.summary(envelope["envelope_id"])
    assert (summary["allocated"], summary["remaining"], summary["allocations"]) == ("980000.00", "20000.00", 14)
    assert funding.app.envelope(UUID(envelope["envelope_id"])).remaining == Decimal("20000.00")
    if is_postgres(funding.app):
        assert collisions, "the allocations did not actually race"
