"""What a service publishes of its log: which domain events, as which contract events.

The outbox relay and ``events_after`` read the log through ``published_after``; every
published event carries the position of the one before it, so a consumer sees gaps.
"""

from typing import Any, Callable

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.utils import get_topic

from services.contracts import ActorRef, IntegrationEvent, new_event

from services.backbone.kernel.context import Context, stable_id


class Publications:
    """Which domain events a service publishes, and as which contract event."""

    def __init__(self) -> None:
        self._by_topic: dict[str, Callable[[Any], tuple[str, dict]]] = {}

    def maps(self, *event_classes: type) -> Callable:
        """Registers ``fn(domain_event) -> (contract_type, payload)`` for the classes."""

        def register(fn):
            for cls in event_classes:
                self._by_topic[get_topic(cls)] = fn
            return fn

        return register

    def publishes(self, topic: str) -> bool:
        return topic in self._by_topic

    def topics(self) -> list[str]:
        """The topics of the domain events that are published."""
        return list(self._by_topic)

    def translate(self, domain_event: DomainEventProtocol) -> tuple[str, dict] | None:
        fn = self._by_topic.get(get_topic(type(domain_event)))
        return fn(domain_event) if fn else None


class PublishedEvents:
    """The contract events of a ``ServiceApplication``'s log (its ``publications``)."""

    def integration_event(self, notification, previous_position: int | None) -> IntegrationEvent | None:
        """The contract event a notification of this log publishes, if any."""
        if not self.publications.publishes(notification.topic):
            return None
        domain_event = self.mapper.to_domain_event(notification)
        event_type, payload = self.publications.translate(domain_event)
        ctx: Context = domain_event.ctx
        return new_event(
            event_id=stable_id("event", self.name, domain_event.originator_id,
                               domain_event.originator_version),
            type=event_type,
            source=self.name,
            position=notification.id,
            previous_position=previous_position,
            occurred_at=domain_event.timestamp,
            actor=ActorRef(ctx.actor_id, ctx.role, ctx.name),
            correlation_id=ctx.correlation_id,
            payload=payload,
        )

    def published_after(self, after: int, limit: int) -> tuple[list[IntegrationEvent], int]:
        """The events this service publishes after position ``after``, reading at most
        ``limit`` log records; also returns the last position read. The log is walked
        back for the position the first event follows only when the page has one: past
        the head, or in a log that publishes nothing (notifications'), that walk was the
        whole log, whatever ``after`` asked."""
        if after >= self.head():
            return [], after
        notifications = self.recorder.select_notifications(
            start=after, limit=limit, inclusive_of_start=False
        )
        events, previous = [], None
        for notification in notifications:
            if not self.publications.publishes(notification.topic):
                continue
            if not events:
                previous = self.last_published_position(after)
            events.append(self.integration_event(notification, previous))
            previous = notification.id
        return events, (notifications[-1].id if notifications else after)

    def last_published_position(self, at_or_before: int) -> int | None:
        """Position of the last published event at or before a position (None if none),
        found by reading the log backwards in pages."""
        stop = at_or_before
        while stop >= 1:
            start = max(1, stop - 199)
            page = self.recorder.select_notifications(start=start, limit=200, stop=stop)
            for notification in reversed(page):
                if self.publications.publishes(notification.topic):
                    return notification.id
            stop = start - 1
        return None

    def head(self) -> int:
        return self.recorder.max_notification_id() or 0
