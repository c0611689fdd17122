"""What a consumer missed, read from the source's own log over RPC and applied in order:
the range before a message that follows a gap, and what came while the service was
down. Tracking is a high-water mark, so nothing after a gap is applied before it."""

import logging

from nameko.exceptions import UnknownService

from services.backbone.eventstore.application import AwaitingOtherSource
from services.backbone.messaging.applying import ApplyFailed, Applier, Progress
from services.backbone.messaging.parking import Parker
from services.backbone.messaging.source_log_client import SourceLog, SourceUnavailable, Unreadable

log = logging.getLogger(__name__)


class GapFiller:
    """Pulls pages of one source's log and applies each entry past the last applied."""

    def __init__(self, app, source: str, source_log: SourceLog, applier: Applier,
                 parker: Parker, progress: Progress):
        self.app = app
        self.source = source
        self.source_log = source_log
        self.applier = applier
        self.parker = parker
        self.progress = progress

    def pull_and_apply(self, after: int, until: int | None) -> None:
        """Pulls the source's events after ``after`` (up to ``until``, or to its head)
        and applies each in order. Parked events count as handled."""
        app = self.app
        while until is None or after < until:
            events, scanned, head = self.source_log.page_after(after)
            for event in events:
                if until is not None and event.position > until:
                    return
                self.progress.seen(event.position)
                if event.position <= app.last_position(self.source):
                    continue
                if isinstance(event, Unreadable):
                    self.parker.park_unreadable(event)
                elif self.applier.one(app.receive, event):
                    self.progress.count("applied")
                self.progress.applied = event.position
            if scanned <= after or scanned >= head:
                return
            after = scanned

    def catch_up_at_start(self) -> None:
        """Applies whatever the source published while this service was away (or before
        its queue existed). If the source is down, the next message's gap check does it."""
        try:
            self.pull_and_apply(after=self.app.last_position(self.source), until=None)
        except SourceUnavailable as error:
            if isinstance(error.__cause__, UnknownService):
                # Services start in any order: a peer not up yet is the normal start of
                # `make run`, not news. What it publishes waits in this service's queue.
                log.debug("%s: %s is not running yet: its events come through the queue, and "
                          "any gap is filled from its log when the next one arrives",
                          self.app.name, self.source)
            else:
                log.warning("%s: %s's log could not be read at start (%s); its events come "
                            "through the queue, and any gap is filled when the next one arrives",
                            self.app.name, self.source, error)
        except AwaitingOtherSource as error:
            log.info("%s: start-up catch-up from %s waits: %s", self.app.name, self.source, error)
        except ApplyFailed as failure:
            if failure.final and self.parker.give_up(failure, 0, 0.0):
                self.catch_up_at_start()  # parked: carry on after it
                return
            log.warning("%s: start-up catch-up from %s stopped at #%s: %r; the queue will "
                        "retry it", self.app.name, self.source, failure.event.position, failure.cause)
