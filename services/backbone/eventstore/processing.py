"""Collecting and replaying an aggregate's events without runtime Protocol checks.

The library checks every object it saves and every event it replays against
``runtime_checkable`` Protocols, which are slow (docs/benchmark-rounds.md, round 6).
Our aggregates derive from its ``BaseAggregate``, so a class check gives the same
answer; anything else still goes the library's way.
"""

from typing import Iterable

from eventsourcing.application import ProcessingEvent
from eventsourcing.domain import BaseAggregate


class Processing(ProcessingEvent):
    """A ``ProcessingEvent`` whose ``collect_events`` takes aggregates of the library's
    base class directly: their pending events, and the aggregate by its id."""

    # Overrides the library's collect_events and fills its events and aggregates: kept
    # for round 6; pinned in tests/unit/test_library_internals.py.

    def collect_events(self, *objs, **kwargs) -> None:
        others = []
        for obj in objs:
            if isinstance(obj, BaseAggregate):
                self.events.extend(obj.collect_events())
                self.aggregates[obj.id] = obj
            elif obj is not None:
                others.append(obj)
        if others or kwargs:
            super().collect_events(*others, **kwargs)


def project_in_order(aggregate, domain_events: Iterable):
    """The library's ``project_aggregate`` without its per-event Protocol assertion
    (round 6; pinned in tests/unit/test_library_internals.py)."""
    for domain_event in domain_events:
        aggregate = domain_event.mutate(aggregate)
    return aggregate
