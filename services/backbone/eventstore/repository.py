"""The repository a service application loads its aggregates from.

A consumer applies a run of upstream events in one transaction
(``ServiceApplication.receive_run``); while it does, a later event's reaction must see
what an earlier one changed, as it would had each been committed on its own.
"""

import threading
from contextlib import contextmanager

from eventsourcing.application import Repository

from services.backbone.eventstore.processing import project_in_order


class RunAwareRepository:
    """The library's repository, aware of a run of upstream events being applied in
    this (green) thread: an aggregate that an earlier event of the run changed is
    returned as it now is; other threads see only what is committed."""

    # Wraps the library's Repository (get's keywords, event_store.recorder; the rest by
    # __getattr__): needed by receive_run and round 5; pinned in tests/unit/test_library_internals.py.

    def __init__(self, repository: Repository):
        self._repository = repository
        self._run = threading.local()

    @contextmanager
    def reading_through(self, aggregates: dict):
        self._run.aggregates = aggregates
        try:
            yield
        finally:
            self._run.aggregates = None

    def _changed_in_run(self, aggregate_id):
        aggregates = getattr(self._run, "aggregates", None)
        return aggregates.get(aggregate_id) if aggregates else None

    def get(self, aggregate_id, **kwargs):
        kwargs.setdefault("projector_func", project_in_order)  # see processing.py
        if kwargs.get("version") is None:
            changed = self._changed_in_run(aggregate_id)
            if changed is not None:
                return changed
        return self._repository.get(aggregate_id, **kwargs)

    def __contains__(self, aggregate_id) -> bool:
        """Whether the aggregate exists: one read of its first stored event, where the
        library's answer loads and decodes it (round 5); events are never deleted."""
        if self._changed_in_run(aggregate_id) is not None:
            return True
        return bool(self._repository.event_store.recorder.select_events(aggregate_id, limit=1))

    def __getattr__(self, name):
        return getattr(self._repository, name)
