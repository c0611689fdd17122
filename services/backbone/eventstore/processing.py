"""Collecting and replaying an aggregate's events without runtime Protocol checks.

The library asks ``isinstance(obj, DomainEventProtocol)`` of every object it is given to
save, and asserts ``isinstance(event, CanMutateProtocol)`` of every event it replays.
Both are ``runtime_checkable`` Protocols: on Python 3.11 each check walks the
protocol's attributes afresh, and py-spy under the latency benchmark's load put these
checks at 2 to 5 % of every service's CPU. Our aggregates all derive from the library's
``BaseAggregate`` and our events from its event classes, so a plain class check gives
the same answer; anything else still goes the library's way.
"""

from typing import Iterable

from eventsourcing.application import ProcessingEvent
from eventsourcing.domain import BaseAggregate


class Processing(ProcessingEvent):
    """A ``ProcessingEvent`` whose ``collect_events`` takes aggregates of the library's
    base class directly: their pending events, and the aggregate by its id."""

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
    """The library's ``project_aggregate`` without its per-event Protocol assertion:
    each event's ``mutate`` applied in turn (an object without one fails here as
    loudly, with AttributeError)."""
    for domain_event in domain_events:
        aggregate = domain_event.mutate(aggregate)
    return aggregate
