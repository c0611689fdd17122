"""One unit declared in two batches at the same instant, through two registry instances
on one store: one declaration commits, the other is checked again after it and refused,
on SQLite and on PostgreSQL. Each instance's check reads its read model, which cannot
see a declaration not yet committed; the unit's aggregate, written with each base, is
where the two meet."""

import threading
from datetime import datetime, timedelta, timezone
from uuid import uuid4

import pytest

from services.backbone.kernel.context import Actor
from services.backbone.kernel.errors import Conflict
from tests.support.settings import store_env_of
from services.registry.application import RegistryApplication
from services.registry.domain import Base, DeclarationBatch, DeclaringUnit
from tests.support.fixtures import declaration
from tests.support.platform import store_config

DRC = Actor(id=uuid4(), role="drc", name="省发展改革委")



@pytest.fixture(params=["sqlite", "postgres"])
def two_instances(request, tmp_path):
    config = store_config(request, tmp_path)
    first, second = (RegistryApplication(env=store_env_of(config, "registry")) for _ in range(2))
    yield first, second
    first.close()
    second.close()


def open_batch(app, name: str) -> DeclarationBatch:
    now = datetime.now(timezone.utc)
    batch = DeclarationBatch(batch_id=uuid4(), name=name, opens_at=now - timedelta(days=1),
                             closes_at=now + timedelta(days=30), quota=12, ctx=DRC.context())
    app.save(batch)
    return batch


def checked_together(apps) -> None:
    """Holds each instance's first declaration after its check has read the read models,
    until both have: the moment where, without the unit's aggregate, both passed."""
    both_checked = threading.Barrier(len(apps), timeout=20)
    for app in apps:
        caught_up, calls = app.views.caught_up, []

        def held(*views, caught_up=caught_up, calls=calls):
            found = caught_up(*views)
            calls.append(1)
            if len(calls) == 1:
                both_checked.wait()
            return found

        app.views.caught_up = held


def declare(app, batch_id, name: str):
    body = declaration(batch_id, name=name)
    body["batch_id"] = batch_id
    try:
        return app.declare(**body, actor=DRC, ctx=DRC.context())  # for the unit
    except Conflict as refusal:
        return refusal


def test_one_unit_declared_in_two_batches_at_the_same_instant_is_declared_once(two_instances):
    first, second = two_instances
    batches = [open_batch(first, "2017年第一批"), open_batch(first, "2017年第二批")]
    checked_together([first, second])
    results = {}
    threads = [threading.Thread(target=lambda app=app, batch=batch, name=name: results.update(
                   {batch.id: declare(app, batch.id, name)}))
               for app, batch, name in ((first, batches[0], "中北大学（朔州校区）"),
                                        (second, batches[1], "中北大学(朔州校区)"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    declared = [r for r in results.values() if isinstance(r, Base)]
    refused = [r for r in results.values() if isinstance(r, Conflict)]
    assert len(declared) == 1 and len(refused) == 1, results
    assert "not decided yet" in refused[0].fields["name"][0]
    bases = [e for _, e in first.all_events() if isinstance(e, Base.Declared)]
    assert [b.originator_id for b in bases] == [declared[0].id]
    unit = first.repository.get(DeclaringUnit.create_id("中北大学(朔州校区)"))
    assert unit.declarations == [declared[0].id]


def test_a_unit_not_selected_declares_again_and_its_unit_lists_both(two_instances):
    first, second = two_instances
    earlier, later = open_batch(first, "2017年第一批"), open_batch(first, "2018年第一批")
    base = declare(first, earlier.id, "太原理工大学")
    assert isinstance(base, Base)
    base.record_adjustment(from_status="declared", to_status="not_selected", reason="未入选",
                           basis="selection", decision={}, ctx=DRC.context())
    first.save(base)
    again = declare(second, later.id, "太原理工大学")
    assert isinstance(again, Base), again
    unit = second.repository.get(DeclaringUnit.create_id("太原理工大学"))
    assert unit.declarations == [base.id, again.id]
    assert isinstance(declare(first, later.id, "太原理工大学"), Conflict)  # same batch


def test_a_known_unit_declared_between_the_check_and_the_unit_read_is_refused(two_instances):
    """The unit is known (its first base was not selected), so the declaration reads
    its aggregate. Another instance's declaration committing after this one's read
    models were caught up but before the unit is read is in the unit; the read models,
    caught up again after that read, show it, and this one is refused."""
    first, second = two_instances
    earlier = open_batch(first, "2017年第一批")
    batches = [open_batch(first, "2018年第一批"), open_batch(first, "2018年第二批")]
    base = declare(first, earlier.id, "山西大学")
    base.record_adjustment(from_status="declared", to_status="not_selected", reason="未入选",
                           basis="selection", decision={}, ctx=DRC.context())
    first.save(base)
    results, caught_up = {}, second.views.caught_up

    def then_the_other_declares(*views):
        found = caught_up(*views)
        if "first" not in results:
            results["first"] = declare(first, batches[0].id, "山西大学")
        return found

    second.views.caught_up = then_the_other_declares
    results["second"] = declare(second, batches[1].id, "山西大学")

    assert isinstance(results["first"], Base), results
    assert isinstance(results["second"], Conflict), results
    assert "not decided yet" in results["second"].fields["name"][0]
    unit = first.repository.get(DeclaringUnit.create_id("山西大学"))
    assert unit.declarations == [base.id, results["first"].id]


def test_a_new_name_is_declared_without_reading_a_unit_and_a_known_one_reads_it(two_instances):
    first, _ = two_instances
    batches = [open_batch(first, "2017年第一批"), open_batch(first, "2018年第一批")]
    found, find = [], first.find
    first.find = lambda aggregate_id, cls, *a, **k: found.append(cls) or find(aggregate_id, cls, *a, **k)
    assert isinstance(declare(first, batches[0].id, "中北大学"), Base)
    assert DeclaringUnit not in found
    assert isinstance(declare(first, batches[1].id, "中北大学"), Conflict)  # undecided there
    assert DeclaringUnit in found
