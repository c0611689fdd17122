"""The base of every service's eventsourcing application.

A ``ServiceApplication`` is the service's append-only log (commands record aggregate
events) and also a consumer of other services' logs: ``receive`` applies an upstream
integration event through the reactions the subclass declares with ``@reacts_to``, and
records the tracking position (source, position) in the same transaction as the events
it causes. That atomic write is what makes redelivery harmless.
"""

import logging
import random
import time
from datetime import date, datetime, timezone
from typing import Any, Callable, ClassVar, Iterable
from uuid import UUID

from eventsourcing.application import ProcessingEvent
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Tracking, Transcoding
from eventsourcing.projection import EventSourcedProjection

from services.contracts import IntegrationEvent

from services.backbone.eventstore.processing import Processing
from services.backbone.kernel.context import Actor, Context
from services.backbone.eventstore.conflicts import CONFLICT_RETRIES, retry_on_conflict
from services.backbone.eventstore.idempotency import Claims, KeyInUse
from services.backbone.eventstore.parked_events import Parking
from services.backbone.eventstore.publishing import Publications, PublishedEvents
from services.backbone.kernel.errors import NotFound, field_error
from services.backbone.eventstore.reactions import reacts_to  # noqa: F401 (the services' import)
from services.backbone.eventstore.repository import RunAwareRepository
from services.backbone.eventstore.revocations import TokenRevocations
from services.backbone.eventstore.views import View, ViewFollower

def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class AwaitingOtherSource(Exception):
    """Raised by a reaction whose precondition comes from another source's log, not
    applied here yet. Not a fault: the consumer holds the event and retries it, never
    parks it (a parked event would be applied after later ones of its source)."""


class ContextAsDict(Transcoding):
    type = Context
    name = "context"

    def encode(self, obj: Context) -> dict:
        return obj.as_dict()

    def decode(self, data: dict) -> Context:
        return Context.from_dict(data)


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class ServiceApplication(PublishedEvents, Parking, TokenRevocations, EventSourcedProjection[UUID]):
    """One service's log, its published events, its reactions and its read models."""

    publications: ClassVar[Publications] = Publications()
    clock: Callable[[], datetime] = staticmethod(utc_now)  # tests set a fixed one
    _reactions: ClassVar[dict[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._reactions = {}
        for klass in reversed(cls.__mro__):
            for attribute, value in vars(klass).items():
                for event_type in getattr(value, "_reacts_to", ()):
                    cls._reactions[event_type] = attribute

    def __init__(self, env: dict | None = None) -> None:
        super().__init__(env)
        self._save_listeners: list[Callable[[list], None]] = []
        self.claims = Claims()  # the Idempotency-Key of the request a worker runs
        self.views = ViewFollower(self, [*self.construct_views(), self.revoked_tokens])
        self.on_save(self.views.follow)

    # -- infrastructure hooks -------------------------------------------------------

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(ContextAsDict())
        transcoder.register(DateAsISO())

    def construct_repository(self) -> RunAwareRepository:
        return RunAwareRepository(super().construct_repository())

    def construct_views(self) -> list[View]:
        """The read models of this service, folded from its log."""
        return []

    def configure(self, settings) -> None:
        """Receives the service's own settings (e.g. ``FundingSettings``, or None) when
        the service starts; applications that have settings override this."""

    def on_save(self, listener: Callable[[list], None]) -> None:
        """Calls ``listener(recordings)`` after every commit (the relay uses it to publish
        promptly, the metrics to count)."""
        self._save_listeners.append(listener)

    def _notify(self, recordings) -> None:
        # The library's hook after a write (pinned in tests/unit/test_library_internals.py).
        # The commit has happened: a listener that fails must not turn it into an error
        # for the caller (the relay's timer still finds what it was not woken for).
        for listener in self._save_listeners:
            try:
                listener(recordings)
            except Exception:
                logging.getLogger(__name__).exception("save listener %r failed", listener)

    # -- consuming upstream logs ------------------------------------------------------

    def last_position(self, source: str) -> int:
        """The last position of ``source``'s log applied (or parked) here; 0 if none."""
        return self.recorder.max_tracking_id(source) or 0

    def receive(self, event: IntegrationEvent, *, known_new: bool = False) -> bool:
        """Applies an upstream event exactly once; False when it was already applied.
        ``known_new``: the caller has just read that it is new, so the first attempt
        does not ask again (another instance applying it still collides at commit)."""
        tracking = Tracking(event.source, event.position)
        attempts = getattr(self, "conflict_attempts", CONFLICT_RETRIES)
        backoff = getattr(self, "conflict_backoff_seconds", 0.0)
        for attempt in range(1, attempts + 1):
            if not (known_new and attempt == 1) and \
                    self.recorder.has_tracking_id(event.source, event.position):
                return False
            try:
                self.process_event(event, tracking)
                return True
            except IntegrityError:
                # Either another consumer instance applied it (tracking exists), or a
                # concurrent command changed an aggregate we changed: reload and retry,
                # spread out like commands are (a revocation must not lose to a stream
                # of allocations on the same envelope).
                if self.recorder.has_tracking_id(event.source, event.position):
                    return False
                if attempt == attempts:
                    raise
                if backoff:
                    time.sleep(random.uniform(0, backoff * attempt))
        return False

    def process_event(self, domain_event: IntegrationEvent, tracking: Tracking) -> None:
        """The library's: the reaction collects, then one commit with the tracking
        record; collected without its Protocol checks (``processing.Processing``)."""
        processing = Processing(tracking=tracking)
        self.policy(domain_event, processing)
        self._commit(processing)

    def receive_run(self, events: list[IntegrationEvent]) -> None:
        """Applies consecutive new events of one source in one transaction, with the last
        one's tracking record: tracking is a high-water mark, so this records what one
        at a time would. Raises, having written nothing, if any reaction fails."""
        last = events[-1]
        processing = Processing(tracking=Tracking(last.source, last.position))
        with self.repository.reading_through(processing.aggregates):
            for event in events:
                self.policy(event, processing)
        self._commit(processing)

    def save(self, *objs, **kwargs) -> list:
        """The library's ``save``, collecting without its runtime Protocol checks
        (``processing.Processing``)."""
        processing = Processing()
        processing.collect_events(*objs, **kwargs)
        return self._commit(processing)

    def _commit(self, processing: ProcessingEvent) -> list:
        """Records what a command or a reaction collected, as the library's ``save`` and
        ``process_event`` do (the write, the snapshots due, the listeners), with our
        ``Processing`` (round 6). Every write goes through here."""
        # Calls the library's _record and _take_snapshots: pinned in tests/unit/test_library_internals.py.
        # A request's Idempotency-Key is claimed in its command's first transaction
        # (eventstore/idempotency.py): one fact, or neither.
        claim = self.claims.pending()
        if claim is not None:
            processing.collect_events(claim.record(self.repository))
        try:
            recordings = self._record(processing)
        except IntegrityError:
            if claim is not None and claim.lost_to_another(self.repository):
                raise KeyInUse("Another request with this Idempotency-Key was applied first; "
                               "this one wrote nothing.") from None
            raise
        if claim is not None:
            claim.committed = True
        self._recorded(processing)
        self._take_snapshots(processing)
        self._notify(recordings)
        return recordings

    def _recorded(self, processing: ProcessingEvent) -> None:
        """Called as soon as a transaction is written, before its snapshots and save
        listeners: for a service that keeps what it has just written."""

    def policy(self, event: IntegrationEvent, processing: ProcessingEvent) -> None:
        method = self._reactions.get(event.type)
        if method is not None:
            getattr(self, method)(event, processing)

    def ops_details(self) -> dict:
        """What this service adds to its /ops/status (authenticated): a service with
        workers of its own reports them here."""
        return {}

    def upstream_context(self, event: IntegrationEvent) -> Context:
        """Events caused by an upstream event are recorded as done by its actor."""
        return Context(event.actor.id, event.actor.role, event.actor.name, event.correlation_id)

    @retry_on_conflict
    def replay_parked(self, event: IntegrationEvent, ctx: Context) -> bool:
        """Applies a parked event now (ops replayed it); False if it is not parked."""
        parked = self.parked(event.source, event.position)
        if parked is None or parked.state != "parked":
            return False
        processing = Processing()
        self.policy(event, processing)
        parked.replayed(ctx=ctx)
        processing.collect_events(parked)
        self._commit(processing)
        return True

    # -- loading -----------------------------------------------------------------------------

    def find(self, aggregate_id, cls: type | None = None):
        """The aggregate with that id (and of that class), or None. One read of the
        store, where ``id in repository`` then ``repository.get(id)`` read it twice."""
        try:
            aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return aggregate if cls is None or isinstance(aggregate, cls) else None

    def require(self, aggregate_id, cls: type, what: str, field: str | None = None):
        """``find``, or NotFound naming ``what`` (a RuleViolation on the request's
        ``field`` when the id came in a request's body)."""
        found = self.find(aggregate_id, cls)
        if found is not None:
            return found
        if field is not None:
            raise field_error(field, f"there is no {what} {aggregate_id}")
        raise NotFound(f"No {what} {aggregate_id}.")

    # -- history -----------------------------------------------------------------------------

    #: Dotted paths into this log's events' data that hold secrets (a webhook's signing
    #: secret): the audit trail shows them "[redacted]" to every reader.
    audit_secrets: ClassVar[tuple[str, ...]] = ()

    def base_of(self, event) -> UUID | None:
        """The base an event concerns, for audit queries by base."""
        return getattr(event, "base_id", None)

    def personal_fields(self, event, viewer: Actor) -> tuple[str, ...]:
        """The fields of one of this log's events holding personal data that ``viewer``
        may not see (privacy.py's rule); the audit trail withholds them. None here:
        copies of contract events inside events are handled by the audit itself."""
        return ()

    def history(self, aggregate_id: UUID) -> list[DomainEventProtocol]:
        """Every event of one aggregate, oldest first."""
        return list(self.events.get(aggregate_id))

    def all_events(self, after: int = 0, batch: int = 1000) -> Iterable[tuple[int, DomainEventProtocol]]:
        """Every event of this log with its position, oldest first."""
        while True:
            page = self.recorder.select_notifications(start=after, limit=batch,
                                                      inclusive_of_start=False)
            if not page:
                return
            for notification in page:
                yield notification.id, self.mapper.to_domain_event(notification)
            after = page[-1].id
