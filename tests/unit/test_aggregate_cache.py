"""The aggregate cache (store.aggregate_cache) never hands out a stale or spoiled
aggregate: what another instance saved is seen on the next load, and a command that
changed a loaded copy and then failed leaves the cached one as it was."""

from datetime import datetime, timedelta, timezone
from uuid import uuid4

import pytest

from services.backbone.kernel.context import Actor
from tests.support.settings import store_env_of
from services.registry.application import RegistryApplication
from services.registry.domain import DeclarationBatch

DRC = Actor(id=uuid4(), role="drc", name="省发展改革委")


@pytest.fixture
def two_instances(tmp_path):
    config = {"store": {"backend": "sqlite", "sqlite_dir": str(tmp_path), "aggregate_cache": 100}}
    first, second = (RegistryApplication(env=store_env_of(config, "registry")) for _ in range(2))
    yield first, second
    first.close()
    second.close()


def a_batch(app) -> DeclarationBatch:
    now = datetime.now(timezone.utc)
    batch = DeclarationBatch(batch_id=uuid4(), name="2017年第一批", opens_at=now - timedelta(days=1),
                             closes_at=now + timedelta(days=30), quota=12, ctx=DRC.context())
    app.save(batch)
    return batch


def test_the_cache_is_on_and_sees_what_another_instance_saved(two_instances):
    first, second = two_instances
    assert first.repository.cache is not None
    batch = a_batch(first)
    assert first.repository.get(batch.id).closed is False  # now cached in the first

    theirs = second.repository.get(batch.id)
    theirs.close(ctx=DRC.context())
    second.save(theirs)
    assert first.repository.get(batch.id).closed is True


def test_a_copy_changed_but_never_saved_does_not_spoil_the_cached_one(two_instances):
    first, _ = two_instances
    batch = a_batch(first)
    loaded = first.repository.get(batch.id)
    loaded.close(ctx=DRC.context())  # a command that then failed: not saved
    again = first.repository.get(batch.id)
    assert again.closed is False and again.version == 1
