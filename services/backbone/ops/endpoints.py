"""Operations endpoints every service has: readiness, metrics, its own status, the
platform's queues, and its dead letters (list, show, replay, discard; each audited).

A service class mixes in ``OperationsEndpoints`` next to ``PublishedLog``.
"""

import logging
from contextlib import contextmanager
from urllib.parse import urlencode

from amqp.exceptions import ConnectionError as AmqpConnectionError
from kombu import Connection
from kombu.exceptions import OperationalError
from marshmallow import Schema, fields, validate
from nameko.extensions import DependencyProvider
from werkzeug.wrappers import Response

from services.contracts.envelope import MAX_POSITION

from services.backbone.ops import monitor
from services.backbone.messaging.subscription import Subscription
from services.backbone.eventstore.audit import (AuditQuery, PlatformAuditQuery, audit_entries, collect_all_audit,
                    collect_audit, jsonable, parse_position, to_csv)
from services.backbone.eventstore.hash_chain import Anchor, verify
from services.backbone.dependencies import EventStore
from services.backbone.messaging.dead_letter_queues import act_on_dead_letter, list_dead_letters
from services.backbone.kernel.context import SYSTEM_ACTOR
from services.backbone.web.tokens import bearer_header
from services.backbone.web.entrypoints import Caller, http, rpc, validated
from services.backbone.web.inputs import read_json, read_query
from services.backbone.kernel.errors import BadRequest, NotFound, Unavailable
from services.backbone.messaging.topology import (SUBSCRIPTIONS, dead_letter_queue_name,
                                                  inbox_queue_name, replay_exchange)
from services.backbone.ops.polling import PROBE_SECONDS, within
from services.contracts.text import FreeText

log = logging.getLogger(__name__)

OPS = ("ops",)
OPS_READERS = ("ops", "drc", "service")
AUDITORS = ("drc", "ops", "service")


class Operations(DependencyProvider):
    """Gives workers the container-level parts ops looks at: config, store, relay,
    subscriptions."""

    def get_dependency(self, worker_ctx):
        return ServiceOperations(self.container)


class ServiceOperations:
    def __init__(self, container):
        self.service = container.service_name
        self.settings = container.config["PLATFORM"]
        self.app = next(d.app for d in container.dependencies if isinstance(d, EventStore))
        self.subscriptions = [d for d in container.dependencies if isinstance(d, Subscription)]

    def status(self) -> dict:
        """What ops looks at (authenticated): with the errors' text, which the public
        /health and /ready leave out."""
        return {
            "service": self.service,
            "head": self.app.head(),
            "relay": self.app.relay.status(),
            "consumers": {s.source: s.status() for s in self.subscriptions},
            **self.app.ops_details(),
        }

    def readiness(self) -> dict:
        """ok or failing per part, for a public probe: the errors, whose text names
        hosts and users, go to the log (and, the relay's, to /ops/status)."""
        checks = {}
        try:
            within(PROBE_SECONDS, self.app.head, "the store")
            checks["store"] = "ok"
        except Exception as error:  # a readiness probe reports; it does not raise
            log.warning("%s not ready: the store is failing: %r", self.service, error)
            checks["store"] = "failing"
        try:
            with Connection(self.settings.broker.url, connect_timeout=2) as connection:
                connection.ensure_connection(max_retries=1)
            checks["broker"] = "ok"
        except Exception as error:  # same
            log.warning("%s not ready: the broker is failing: %r", self.service, error)
            checks["broker"] = "failing"
        checks["relay"] = self._relay_check()
        return checks

    def _relay_check(self) -> str:
        """A relay that is running but has failed every attempt for longer than
        ``ops.thresholds.relay_failing_seconds`` publishes nothing: not ready either.
        A shorter failure (the broker restarting) is retried without alarm."""
        relay = self.app.relay
        if not relay.running:
            log.warning("%s not ready: the relay is not running (%s)", self.service, relay.last_error)
            return "stopped"
        failing = relay.failing_for()
        if failing > self.settings.ops.thresholds.relay_failing_seconds:
            log.warning("%s not ready: the relay has failed for %.0fs (%s)", self.service,
                        failing, relay.last_error)
            return "failing"
        return "ok"

    def platform_audit(self, args: dict, authorization: str, every_page: bool = False) -> dict:
        """Audit entries of every service, merged in time order, each service showing
        them as the caller (``authorization``, its bearer header) may read them: one
        page (``limit`` from ``cursor``), or with ``every_page`` all that follow."""
        loaded = validated(PlatformAuditQuery(), dict(args))
        filters = {key: value for key, value in args.items() if key not in ("limit", "cursor")}
        collect = collect_all_audit if every_page else collect_audit
        return collect(self.settings, filters, loaded["limit"], authorization, loaded["cursor"])

    def dead_letter_queues(self) -> list[str]:
        namespace = self.settings.broker.namespace
        return [dead_letter_queue_name(inbox_queue_name(namespace, self.service, source))
                for source in SUBSCRIPTIONS.get(self.service, ())]

    def dead_letters(self, viewer) -> list[dict]:
        """Every dead letter of this service, as ``viewer`` may read it."""
        url = self.settings.broker.url
        with broker_answering():
            return [letter.summary(viewer) for queue in self.dead_letter_queues()
                    for letter in list_dead_letters(url, queue)]

    def act(self, queue: str, message_id: str, *, replay: bool, reason: str, ctx, viewer) -> dict:
        if queue not in self.dead_letter_queues():
            raise NotFound(f"{queue} is not a dead-letter queue of {self.service}.")

        def record(letter):
            self.app.record_dead_letter_action(
                queue=queue, message_id=message_id, error=letter.error, body=letter.body,
                action="replay" if replay else "discard", reason=reason, ctx=ctx)

        with broker_answering():
            letter = act_on_dead_letter(self.settings.broker.url, queue, message_id, replay=replay,
                                        record=record,
                                        replay_exchange=replay_exchange(self.settings.broker.namespace,
                                                                        self.service).name)
        return {**letter.summary(viewer), "action": "replayed" if replay else "discarded"}


PRINTABLE = validate.Regexp(r"^[\x21-\x7e]{1,255}$", error="1 to 255 printable ASCII characters.")


class DeadLetterAction(Schema):
    queue = fields.String(required=True, validate=PRINTABLE)
    message_id = fields.String(required=True, validate=PRINTABLE)
    reason = FreeText(max_length=1000)


class AnchorIn(Schema):
    """A chain link recorded earlier outside the store: ``{"position": 12, "hash": "…"}``."""

    position = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_POSITION))
    hash = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$",
                                                                 error="64 lowercase hex digits."))


@contextmanager
def broker_answering():
    """An unreachable broker is a 503 to try again, not a 500 with a traceback in the log."""
    try:
        yield
    except (OSError, OperationalError, AmqpConnectionError) as error:
        raise Unavailable(f"The broker does not answer ({type(error).__name__}); try again later.") from error


def _anchors(given) -> list[Anchor]:
    return [Anchor(**item) for item in validated(AnchorIn(many=True), list(given or []))]


class OperationsEndpoints:
    """Readiness, metrics, status, queues and dead letters of a service."""

    operations = Operations()
    caller = Caller()

    @http("GET", "/ready", public=True)
    def ready(self, request):
        """Readiness: store reachable, broker reachable, relay running."""
        checks = self.operations.readiness()
        ok = all(value == "ok" for value in checks.values())
        return (200 if ok else 503), {"service": self.name, "ready": ok, "checks": checks}

    @http("GET", "/metrics", roles=("ops", "service"))
    def metrics(self, request):
        """Prometheus exposition of this service's metrics, for ops only (event volumes and
        route latencies say what the programme is doing): Prometheus scrapes with a bearer
        token (infra/prometheus/prometheus.yml)."""
        return Response(self.operations.app.metrics.exposition(),
                        mimetype="text/plain; version=0.0.4")

    @rpc(roles=OPS_READERS)
    def ops_status(self):
        """Head of the log, relay position and lag, each subscription's position."""
        return self.operations.status()

    @http("GET", "/ops/status", roles=OPS_READERS)
    def http_ops_status(self, request):
        return self.operations.status()

    @http("GET", "/ops/queues", roles=OPS_READERS)
    def http_queues(self, request):
        """The whole platform's queues, lags and alerts (as ``sc queues --json``); the
        other services are asked as this one, with a service token it signs itself."""
        operations = self.operations
        with broker_answering():
            return monitor.platform_report(operations.settings, bearer_header(
                operations.app.signer, role="service", name=f"{operations.service} ops",
                actor_id=SYSTEM_ACTOR.id))

    @rpc(roles=OPS_READERS)
    def verify_log(self, anchors=None):
        """Walks this service's hash-chained log; names the first broken link, and a
        link that differs from one of ``anchors`` (``[{"position", "hash"}]`` recorded
        earlier outside the store)."""
        return verify(self.operations.app, anchors=_anchors(anchors)).as_dict()

    @http("GET", "/ops/verify", roles=OPS_READERS)
    def http_verify_log(self, request):
        """``?anchor=<position>:<hash>``, as often as there are anchors."""
        given = []
        for value in request.args.getlist("anchor"):
            position, _, digest = value.partition(":")
            given.append({"position": parse_position(position) or position, "hash": digest})
        try:
            return self.verify_log(given)
        except BadRequest as error:  # the anchors' errors, by their place in the query
            raise BadRequest(error.message, fields={"anchor": error.fields}) from None

    @rpc(roles=OPS_READERS)
    def views_digest(self):
        """Hashes of the live read models (``sc rebuild --compare`` checks a rebuild)."""
        return self.operations.app.views.digest()

    @rpc(roles=AUDITORS)
    def audit_entries(self, **query):
        """This service's log as audit entries matching the filters (JSON-ready), as
        the caller may read them: secrets redacted, personal data by privacy.py's rule."""
        loaded = validated(AuditQuery(), query)
        return jsonable(audit_entries(self.operations.app, loaded, self.caller.actor))

    @http("GET", "/ops/audit", roles=AUDITORS)
    def http_audit(self, request):
        """The audit trail across all services, a page at a time:
        ?base_id=&actor_id=&role=&event_type=&since=&until=&limit=&cursor= ; a page that
        is not the last says ``truncated`` and links the ``next``."""
        args = read_query(request)
        report = self.operations.platform_audit(args, request.headers["Authorization"])
        if report["truncated"]:
            report["next"] = f"{request.path}?{urlencode({**args, 'cursor': report['cursor']})}"
        return report

    @http("GET", "/ops/audit.csv", roles=AUDITORS)
    def http_audit_csv(self, request):
        """Every entry that matches, as CSV (``limit`` is the size of the pages asked)."""
        report = self.operations.platform_audit(read_query(request), request.headers["Authorization"],
                                                every_page=True)
        if not report["complete"]:
            raise Unavailable("Audit incomplete: " + ", ".join(report["missing"]))
        return Response(to_csv(report["entries"]), mimetype="text/csv",
                        headers={"Content-Disposition": "attachment; filename=audit.csv"})

    @rpc(roles=OPS_READERS)
    def dead_letters(self):
        """Messages in this service's dead-letter queues, with their errors."""
        return self.operations.dead_letters(self.caller.actor)

    @http("GET", "/ops/dead-letters", roles=OPS_READERS)
    def http_dead_letters(self, request):
        return {"dead_letters": self.operations.dead_letters(self.caller.actor)}

    @rpc(roles=OPS)
    def replay_dead_letter(self, **action):
        """Puts a dead letter back into its original queue (audited)."""
        data = validated(DeadLetterAction(), action)
        return self.operations.act(data["queue"], data["message_id"], replay=True, reason=data["reason"],
                                   ctx=self.caller.context, viewer=self.caller.actor)

    @http("POST", "/ops/dead-letters/replay", roles=OPS)
    def http_replay_dead_letter(self, request):
        return self.replay_dead_letter(**read_json(request))

    @rpc(roles=OPS)
    def discard_dead_letter(self, **action):
        """Removes a dead letter for good (audited, with the reason)."""
        data = validated(DeadLetterAction(), action)
        return self.operations.act(data["queue"], data["message_id"], replay=False, reason=data["reason"],
                                   ctx=self.caller.context, viewer=self.caller.actor)

    @http("POST", "/ops/dead-letters/discard", roles=OPS)
    def http_discard_dead_letter(self, request):
        return self.discard_dead_letter(**read_json(request))
