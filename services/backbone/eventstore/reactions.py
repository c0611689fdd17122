"""How an application declares its reactions to other services' events."""


def reacts_to(*event_types: str):
    """Marks an application method as the reaction to upstream integration events.

    The method receives the event and a ``ProcessingEvent``; it must collect the
    aggregates it changes with ``processing.collect_events(...)`` and never save."""

    def mark(method):
        method._reacts_to = event_types
        return method

    return mark
