"""Every service's log, readable from a position, and its health.

Consumers that missed something pull ``events_after`` over RPC; departments that prefer
pulling to subscribing use ``GET /events?after=N``. Both return the same envelopes the
broker carries, so one parser serves both. Who may read a log is the service's to say
(``published_log(readers)``): funding's events are money, read by funding's readers only.
"""

import logging

from marshmallow import Schema, fields, validate

from services.contracts.envelope import MAX_POSITION

from services.backbone.web.answers import EventsPage, Health
from services.backbone.web.entrypoints import http, rpc, validated
from services.backbone.web.inputs import read_query
from services.backbone.kernel.privacy import for_viewer

log = logging.getLogger(__name__)

# Who reads a log unless its service says otherwise (published_log).
READERS = ("service", "drc", "department", "ops", "funding_office", "evaluator",
           "county_government", "competent_department")


class EventsQuery(Schema):
    after = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_POSITION))
    limit = fields.Integer(load_default=500, validate=validate.Range(min=1, max=5000))


def published_log(readers: tuple[str, ...] = READERS) -> type:
    """The mixin that serves a service's log to ``readers`` (``events_after``,
    ``GET /events``) and its health to anyone. A service whose events not every role
    may read names its readers; ``service`` is always one of them, since consumers
    fill their gaps from here. Each call makes entrypoints of its own, so the roles are
    declared on the service class, where the authorisation matrix reads them."""
    readers = tuple(dict.fromkeys((*readers, "service")))

    class PublishedLog:
        """Mixin for a service class that has ``app = EventStore(...)`` and ``caller =
        Caller()``; its log is read by ``readers``."""

        def _page(self, after: int, limit: int) -> dict:
            """A page of the log as the caller may read it (personal data withheld from
            readers who do not work with the base; services read it whole), each copy
            signed by this service, as its consumers require."""
            events, scanned = self.app.published_after(after, limit)
            viewer, signer = self.caller.actor, self.app.signer
            return {
                "events": [signer.sign(for_viewer(event.to_message(), viewer)) for event in events],
                "scanned": scanned,
                "head": self.app.head(),
            }

        @rpc(roles=readers)
        def events_after(self, after=0, limit=500):
            """Published events after log position ``after`` (at most ``limit`` log records
            read); ``scanned`` is where to continue from, ``head`` the log's last position."""
            query = validated(EventsQuery(), {"after": after, "limit": limit})
            return self._page(query["after"], query["limit"])

        @http("GET", "/events", roles=readers, query=EventsQuery, response=EventsPage)
        def get_events(self, request):
            """HTTP form of ``events_after``: ``GET /events?after=N&limit=M``."""
            query = validated(EventsQuery(), read_query(request))
            return self._page(query["after"], query["limit"])

        @http("GET", "/health", public=True, response=Health)
        def health(self, request):
            """Liveness and readiness: the store answers and the relay runs. Public, so it
            says only whether each part works: an error's text names database hosts and
            users, which ops read in the log and at /ops/status."""
            checks = {"store": "ok", "relay": "running" if self.app.relay.running else "stopped"}
            try:
                head = self.app.head()
            except Exception as error:  # report, do not raise: this is the health check
                log.warning("%s health: the store is failing: %r", self.name, error)
                checks["store"] = "failing"
                head = None
            healthy = checks["store"] == "ok"
            return (200 if healthy else 503), {"service": self.name, "status": "ok" if healthy else "degraded",
                                               "checks": checks, "head": head}

    return PublishedLog


PublishedLog = published_log()  # the log as every service but funding serves it
