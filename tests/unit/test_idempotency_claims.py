"""An Idempotency-Key is claimed in the same transaction as its command's first write
(eventstore/idempotency.py): of two instances running one key at once, exactly one
commits, and the other's events are not written at all; a claim goes with the first
commit only."""

from datetime import datetime, timedelta, timezone
from uuid import uuid4

import pytest

from services.backbone.eventstore.idempotency import Claim, IdempotencyRecord, KeyInUse
from services.backbone.kernel.context import Actor
from services.registry.application import RegistryApplication
from services.registry.domain import DeclarationBatch
from tests.support.settings import store_env_of

DRC = Actor(id=uuid4(), role="drc", name="省发展改革委")


@pytest.fixture
def two_instances(tmp_path):
    config = {"store": {"backend": "sqlite", "sqlite_dir": str(tmp_path)}}
    first, second = (RegistryApplication(env=store_env_of(config, "registry")) for _ in range(2))
    yield first, second
    first.close()
    second.close()


def a_batch() -> DeclarationBatch:
    now = datetime.now(timezone.utc)
    return DeclarationBatch(batch_id=uuid4(), name="2017年第一批", opens_at=now - timedelta(days=1),
                            closes_at=now + timedelta(days=30), quota=12, ctx=DRC.context())


def claim(key: str = "k-1") -> Claim:
    return Claim("POST /batches", str(DRC.id), key, "hash", datetime.now(timezone.utc), version=0,
                 ctx=DRC.context())


def test_of_two_instances_claiming_one_key_one_writes_and_the_other_writes_nothing(two_instances):
    first, second = two_instances
    winner, loser = claim(), claim()
    first.claims.hold(winner)
    second.claims.hold(loser)
    written = a_batch()
    first.save(written)
    refused = a_batch()
    with pytest.raises(KeyInUse):
        second.save(refused)
    assert winner.committed and not loser.committed
    assert second.find(written.id) is not None
    assert first.find(refused.id) is None and second.find(refused.id) is None
    assert first.repository.get(winner.record_id).version == 1


def test_the_claim_goes_with_the_first_commit_only(two_instances):
    first, _ = two_instances
    held = claim()
    first.claims.hold(held)
    first.save(a_batch())
    first.save(a_batch())  # a command that writes twice: no second claim to collide
    record = first.repository.get(held.record_id)
    assert isinstance(record, IdempotencyRecord) and record.version == 1


def test_the_audit_trail_shows_who_used_a_key_and_never_the_answer_it_stored(two_instances):
    from services.backbone.eventstore.audit import REDACTED, audit_data, describe_event

    first, _ = two_instances
    held = claim()
    first.claims.hold(held)
    first.save(a_batch())
    first.claims.hold(None)
    record = first.repository.get(held.record_id)
    record.answered(status=201, answer=(201, '{"contact": "张三 13800000000"}', "application/json"),
                    ctx=DRC.context())
    first.save(record)
    answered = first.repository.get(held.record_id)
    events = [e for e in first.history(held.record_id)]
    assert answered.status == 201 and len(events) == 2
    assert describe_event(events[1])["actor"]["id"] == DRC.id
    assert audit_data(first, events[1], DRC)[0]["answer"] == REDACTED
