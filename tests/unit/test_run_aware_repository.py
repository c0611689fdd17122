"""``aggregate_id in app.repository`` answers from the store's first event of the
aggregate (one read, nothing decoded), and from the run being applied before that."""

from uuid import uuid4

from eventsourcing.application import ProcessingEvent

from services.backbone.kernel.context import SYSTEM_ACTOR
from services.notifications.application import NotificationsApplication
from services.notifications.domain import KnownBatch

MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.popo"}


def a_known_batch(app) -> KnownBatch:
    batch = KnownBatch(batch_id=uuid4(), name="2017年第一批", ctx=SYSTEM_ACTOR.context())
    app.save(batch)
    return batch


def test_a_saved_aggregate_is_in_the_repository_and_an_unknown_id_is_not():
    app = NotificationsApplication(env=MEMORY)
    batch = a_known_batch(app)
    assert batch.id in app.repository
    assert uuid4() not in app.repository


def test_the_answer_decodes_nothing_where_loading_the_aggregate_decodes_its_events():
    app = NotificationsApplication(env=MEMORY)
    batch = a_known_batch(app)

    def refuse(stored):
        raise AssertionError("an event was decoded to answer `in`")

    app.repository.event_store.mapper.to_domain_event = refuse
    assert batch.id in app.repository
    assert uuid4() not in app.repository


def test_an_aggregate_created_earlier_in_the_run_being_applied_is_in_it_before_its_commit():
    app = NotificationsApplication(env=MEMORY)
    processing = ProcessingEvent()
    batch = KnownBatch(batch_id=uuid4(), name="2017年第一批", ctx=SYSTEM_ACTOR.context())
    processing.collect_events(batch)
    assert batch.id not in app.repository
    with app.repository.reading_through(processing.aggregates):
        assert batch.id in app.repository
    assert batch.id not in app.repository  # nothing was committed
