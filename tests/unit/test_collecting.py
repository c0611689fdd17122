"""Saving and loading aggregates without the library's runtime Protocol checks gives
what the library's own collecting and projecting give."""

from unittest.mock import patch
from uuid import uuid4

from eventsourcing.application import ProcessingEvent
from eventsourcing.domain import DomainEventProtocol

from services.backbone.eventstore.processing import Processing, project_in_order
from services.backbone.kernel.context import Actor
from services.notifications.domain import KnownBatch

DRC = Actor(id=uuid4(), role="drc", name="省发展改革委")


def no_protocol_checks():
    """Any runtime Protocol isinstance check in the block fails the test."""
    return patch.object(type(DomainEventProtocol), "__instancecheck__",
                        side_effect=AssertionError("a runtime Protocol check"))


def known_batch() -> KnownBatch:
    return KnownBatch(batch_id=uuid4(), name="2017年第一批", ctx=DRC.context())


def test_collecting_an_aggregate_needs_no_protocol_check_and_collects_what_the_library_does():
    mine, theirs = known_batch(), known_batch()
    with no_protocol_checks():
        processing = Processing()
        processing.collect_events(mine, None, note="kept")
    library = ProcessingEvent()
    library.collect_events(theirs, None, note="kept")

    assert [type(e) for e in processing.events] == [type(e) for e in library.events]
    assert [e.originator_id for e in processing.events] == [mine.id]
    assert processing.aggregates == {mine.id: mine}
    assert processing.saved_kwargs == library.saved_kwargs == {"note": "kept"}
    assert mine.collect_events() == []  # taken, as the library takes them


def test_a_domain_event_given_alone_still_goes_the_library_way():
    event = known_batch().collect_events()[0]
    processing = Processing()
    processing.collect_events(event)
    assert processing.events == [event] and processing.aggregates == {}


def test_projecting_needs_no_protocol_check_and_rebuilds_the_aggregate():
    batch = known_batch()
    events = batch.collect_events()
    with no_protocol_checks():
        rebuilt = project_in_order(None, events)
    assert (rebuilt.id, rebuilt.name, rebuilt.version) == (batch.id, batch.name, batch.version)
