"""HTTP and RPC entrypoints that authenticate and authorise before any worker runs.

``@http("POST", "/bases", roles=("applicant",))`` and ``@rpc(roles=("drc",))`` reject an
unauthenticated call with 401 and a wrong role with 403, both as JSON (RPC: as a remote
error). A mutating HTTP route must say which roles may call it: forgetting is an error at
start-up, not an open door. Scope (region, department, base) is checked by the
application, which knows the base; the worker reads the caller with the ``Caller``
dependency.
"""

import json
import logging
import socket
import time
from dataclasses import dataclass
from functools import cache, partial
from http import HTTPStatus
from uuid import UUID, uuid4

from eventlet import wsgi
from eventlet.event import Event
from eventsourcing.persistence import InterfaceError, OperationalError
from marshmallow import Schema, ValidationError
from nameko.extensions import DependencyProvider, SharedExtension
from nameko.rpc import Rpc
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import HttpOnlyProtocol, WebServer, WsgiApp
from werkzeug import exceptions as http_errors
from werkzeug.wrappers import Request, Response

from services.contracts import ContractViolation

from services.backbone import failpoints
from services.backbone.keys import ServiceKeys
from services.backbone.messaging.queue_consumers import PromptRpcConsumer
from services.backbone.web.declared import RouteDoc
from services.backbone.web.error_body import error_body
from services.backbone.web.idempotent import HEADER as IDEMPOTENCY_HEADER, IdempotentRoute, KeyInUse, key_of
from services.backbone.web.inputs import PATH_PARAMS
from services.backbone.web.tokens import TokenVerifier
from services.backbone.kernel.context import Actor, Context
from services.backbone.kernel.ids import as_uuid
from services.backbone.kernel.errors import (BadRequest, MethodNotAllowed, NotFound, PayloadTooLarge, PlatformError,
                                             Unavailable, UnsupportedMediaType)

log = logging.getLogger(__name__)

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
ANY_ROLE = None


class Authenticator(SharedExtension):
    """Checks the bearer tokens of one container's entrypoints: the trusted issuers'
    public keys, and the revocations kept in the service's own log."""

    keys = ServiceKeys()

    def setup(self):
        settings = self.container.config["PLATFORM"]
        self.verifier = TokenVerifier(self.keys.keyring, settings.auth.issuers, revoked=self._revoked)

    def _revoked(self, jti) -> bool:
        app = getattr(self, "_app", None)
        if app is None:
            from services.backbone.dependencies import EventStore  # set up before any worker runs

            app = self._app = next((d.app for d in self.container.dependencies
                                    if isinstance(d, EventStore) and hasattr(d, "app")), None)
        return app is not None and app.is_revoked(jti)

    def authenticate(self, header, roles):
        return self.verifier.authenticate(header, roles)


def _max_body_bytes(container) -> int:
    return container.config["PLATFORM"].services.max_body_bytes


def _app(container):
    """The service's application, if it has an event store (the console has none)."""
    from services.backbone.dependencies import EventStore  # it imports this module's neighbours

    return next((d.app for d in container.dependencies if isinstance(d, EventStore) and hasattr(d, "app")), None)


def _metrics(container):
    """The service's metrics, if it has an event store (test doubles may not)."""
    for dependency in container.dependencies:
        metrics = getattr(getattr(dependency, "app", None), "metrics", None)
        if metrics is not None:
            return metrics
    return None


def json_response(status: int, body, headers=None) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False, default=str),
        status=status,
        headers=headers,
        mimetype="application/json",
    )


STORE_ERRORS = (OperationalError, InterfaceError)  # the store did not answer in time
STORE_UNAVAILABLE = Unavailable(
    "The service's store did not answer in time (busy, or its connection was lost). "
    "Retry the request.")


def as_platform_error(exc: Exception) -> PlatformError | None:
    """What a client is answered for ``exc``; None for an unexpected error (a 500). The
    one classification of errors: the HTTP answer and the service's log both follow it.

    A store that does not answer (the connection pool exhausted by a burst, a lock not
    granted, a dropped database connection) is 503: the client should retry, where a
    500 says the platform is broken. A command's events commit all together or not at
    all; only a connection lost inside the commit itself leaves the client not knowing
    which, and the retry tells it (a declaration answers 409, a funding command with the
    same idempotency key answers as the first time)."""
    if isinstance(exc, PlatformError):
        return exc
    if isinstance(exc, (ValidationError, ContractViolation)):
        return BadRequest("The request is not valid.", fields=exc.messages)
    if isinstance(exc, http_errors.RequestEntityTooLarge):  # read_json names the limit; elsewhere:
        return PayloadTooLarge("The request body is larger than this service accepts.")
    if isinstance(exc, http_errors.MethodNotAllowed):
        allowed = ", ".join(sorted(exc.valid_methods or ()))
        return MethodNotAllowed(f"This path is not served with that method; it is with {allowed}.")
    if isinstance(exc, http_errors.NotFound):
        return NotFound("No such path on this service.")
    if isinstance(exc, STORE_ERRORS):
        return STORE_UNAVAILABLE
    return None


def error_response(exc: Exception) -> Response:
    """Maps an exception to a JSON error (``Retry-After`` on one worth repeating: a 503,
    a 409 of concurrent writers); unexpected ones become an opaque 500."""
    answer = as_platform_error(exc)
    if answer is None:
        log.exception("unexpected error in HTTP handler", exc_info=exc)
        return json_response(500, error_body(PlatformError.code, "Internal error."))
    return json_response(answer.status, error_body(answer.code, answer.message, answer.fields),
                         headers={"Retry-After": str(answer.retry_after)} if answer.retry_after else None)


class JsonWsgiApp(WsgiApp):
    """nameko's WSGI application, answering a path it does not serve (404) or a method
    it does not serve a path with (405) in JSON like every other error, where nameko
    answered werkzeug's HTML page."""

    def __call__(self, environ, start_response):
        request = Request(environ, shallow=True)  # as nameko's: nothing reads the body yet
        try:
            provider, values = self.url_map.bind_to_environ(environ).match()
        except http_errors.HTTPException as exc:
            response = error_response(exc)
            if isinstance(exc, http_errors.MethodNotAllowed) and exc.valid_methods:
                response.headers["Allow"] = ", ".join(sorted(exc.valid_methods))
            return response(environ, start_response)
        request.path_values = values
        return provider.handle_request(request)(environ, start_response)


# What eventlet's server answers itself, before any application runs, with an empty
# body: by its status line, the platform's JSON answer instead.
EVENTLET_REFUSALS = {
    b"HTTP/1.0 414 Request URI Too Long": (414, f"The request line is over {wsgi.MAX_REQUEST_LINE} bytes."),
    b"HTTP/1.0 400 Header Line Too Long": (431, f"A header line is over {wsgi.MAX_HEADER_LINE} bytes (a bearer "
                                                "token of this platform is far shorter)."),
    b"HTTP/1.0 400 Headers Too Large": (431, f"The headers are over {wsgi.MAX_TOTAL_HEADER_SIZE} bytes together."),
    b"HTTP/1.0 400 Bad Request": (400, "The request's Content-Length or Transfer-Encoding is not valid."),
}


def refusal(status: int, message: str) -> bytes:
    """A whole HTTP answer refusing a request the server could not read, in JSON (the
    code: the status's name, ``request_header_fields_too_large`` for 431)."""
    phrase = HTTPStatus(status).phrase
    code = phrase.lower().replace("-", " ").replace(" ", "_")
    body = json.dumps(error_body(code, message), ensure_ascii=False).encode()
    head = (f"HTTP/1.0 {status} {phrase}\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode("latin-1") + body


class JsonRefusalsProtocol(HttpOnlyProtocol):
    """nameko's protocol, answering in JSON what the server refuses before any application
    runs: eventlet's refusals (a 100 KB bearer token is a header line too long) were an
    empty body, the standard library's (a malformed request line) an HTML page."""

    def setup(self):
        super().setup()
        self.wfile = _JsonRefusals(self.wfile)

    def send_error(self, code, message=None, explain=None):
        self.log_error("code %d, message %s", code, message)
        self.close_connection = True
        self.wfile.write(refusal(code, message or HTTPStatus(code).phrase))


class _JsonRefusals:
    """A connection's output, on which eventlet's canned refusals become JSON ones."""

    def __init__(self, file):
        self.file = file

    def write(self, data):
        canned = EVENTLET_REFUSALS.get(bytes(data[:40]).split(b"\r\n", 1)[0])
        return self.file.write(refusal(*canned) if canned else data)

    def __getattr__(self, name):
        return getattr(self.file, name)


class JsonWebServer(WebServer):
    def get_wsgi_app(self):
        return JsonWsgiApp(self)

    def get_wsgi_server(self, sock, wsgi_app, **kwargs):
        """nameko's server, speaking ``JsonRefusalsProtocol``. It builds eventlet's
        access-log line (the client's address, the date, the request line) for every
        request, and hands it to the ``nameko.web.server`` logger; the services' logging
        keeps that logger at WARNING, so the line went nowhere. Built only if the logger
        would keep it.

        TCP_NODELAY on the listening socket (accepted ones inherit it): eventlet writes an
        answer over about 16 KB in two sends, and Nagle's algorithm held the second until
        the client's delayed ACK, 40-44 ms later on a kept-alive connection (a 基地 list
        page took 52 ms where its own work took 4, bench --only console)."""
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        server = super().get_wsgi_server(sock, wsgi_app, protocol=JsonRefusalsProtocol, **kwargs)
        server.log_output = logging.getLogger("nameko.web.server").isEnabledFor(logging.INFO)
        return server


class JsonHttp(HttpRequestHandler):
    """An HTTP route returning JSON, authenticated unless ``public``. A mutating route
    reads a body of ``body_types`` (JSON; a route taking file uploads names its own) and
    refuses any other with 415 before it is read. ``query``, ``body``, ``response`` and
    ``status`` declare its schemas for the OpenAPI document (``RouteDoc``)."""

    server = JsonWebServer()
    authenticator = Authenticator()
    documented = True  # in the service's OpenAPI document

    def __init__(self, method, url, roles=ANY_ROLE, public=False, body_types=("application/json",), *,
                 query=None, body=None, response=None, status=None, produces="application/json",
                 summary=None, headers=(), also=(), **kwargs):
        self.mutating = bool(set(method.upper().split(",")) & MUTATING)
        self.doc = RouteDoc(query, body, response, status or (201 if method.upper() == "POST" else 200),
                            produces, summary, tuple(headers), tuple(also))
        if not public and roles is ANY_ROLE and self.mutating:
            raise ValueError(f"{method} {url}: a mutating route must declare its roles")
        self.roles = None if roles is None else tuple(roles)
        self.public = public
        self.body_types = tuple(body_types)
        super().__init__(method, url, **kwargs)

    def body_limit(self) -> int:
        """The largest body this route reads (``services.max_body_bytes``; an upload
        route has its own, ``documents.UploadHttp``)."""
        return _max_body_bytes(self.container)

    def handle_request(self, request):
        started = time.monotonic()
        response = self._respond(request)
        metrics = _metrics(self.container)
        if metrics is not None:
            metrics.http_seconds.labels(self.method, self.url, str(response.status_code)).observe(
                time.monotonic() - started)
        return response

    @property
    def idempotent(self) -> bool:
        """Whether this route honours ``Idempotency-Key`` (web/idempotent.py): every
        mutating JSON route of a service with a log, except the public ones (no caller to
        key by) and those that keep their own key in their domain (funding's)."""
        return (self.mutating and not self.public and self.body_types == ("application/json",)
                and IDEMPOTENCY_HEADER not in self.doc.headers)

    def _respond(self, request):
        request.shallow = False
        # A body over the limit is refused before it is read (by its Content-Length),
        # or as soon as reading passes the limit (a chunked one): memory stays bounded.
        # eventlet's server ends the input stream itself, chunked or not; saying so lets
        # werkzeug read a chunked body (without it, one read as empty: a baffling 400).
        request.max_content_length = self.body_limit()
        request.environ.setdefault("wsgi.input_terminated", True)
        keys = claim = None
        try:
            header = request.headers.get("Authorization")
            actor = None if self.public else self.authenticator.authenticate(header, self.roles)
            self._check_body_type(request)
            correlation_id = request.headers.get("X-Correlation-Id") or str(uuid4())
            keys, key = self._keys(), (key_of(request) if self.idempotent else None)
            if keys is not None and key is not None:
                claim = keys.begin(request, actor.context(as_uuid(correlation_id)), key)
                if isinstance(claim, Response):
                    return claim  # a replay of the first answer
            response = self._run(request, header, correlation_id, claim)
        except KeyInUse:  # a concurrent request with this key committed first
            return self._answer(lambda: keys.lost(claim))
        except Exception as exc:  # every failure becomes a JSON error response
            response = error_response(exc)
        return response if claim is None else self._answer(lambda: keys.finish(claim, response))

    def _run(self, request, header, correlation_id, claim):
        """Runs the worker; its first commit carries ``claim`` (dependencies.EventStore)."""
        context_data = {"authorization": header, "correlation_id": correlation_id}
        args, kwargs = self.get_entrypoint_parameters(request)
        request.environ[PATH_PARAMS] = tuple(kwargs)  # read_json refuses them in the body
        self.check_signature(args, kwargs)
        done = Event()
        worker_ctx = self.container.spawn_worker(
            self, args, kwargs, context_data=context_data,
            handle_result=partial(self.handle_result, done),
        )
        # Not in context_data, which an RPC call the worker makes would carry on; set
        # before the worker runs (it starts when this thread waits).
        worker_ctx.idempotency_claim = claim
        result = done.wait()
        if self.mutating:  # the command has committed; its client has not heard yet
            failpoints.hit("http.after_commit")
        return self.response_from_result(result)

    @staticmethod
    def _answer(produce) -> Response:
        try:
            return produce()
        except Exception as exc:
            return error_response(exc)

    def _keys(self) -> IdempotentRoute | None:
        if "_idempotent_route" not in vars(self):
            app = _app(self.container)
            self._idempotent_route = app and IdempotentRoute(
                app, self.container.config["PLATFORM"].idempotency, f"{self.method} {self.url}")
        return self._idempotent_route

    def _check_body_type(self, request) -> None:
        sent = request.content_length or request.headers.get("Transfer-Encoding")
        if self.mutating and sent and request.mimetype not in self.body_types:
            expected = " or ".join(self.body_types)
            raise UnsupportedMediaType(
                f"This route reads a body of type {expected}; this one was sent as "
                f"{request.mimetype or 'no type'}.", fields={"Content-Type": [f"Expected {expected}."]})

    def response_from_result(self, result):
        if isinstance(result, Response):
            return result
        status, body = result if isinstance(result, tuple) else (200, result)
        return json_response(status, body)


class AuthorizedRpc(Rpc):
    """An RPC method callable only with a valid token (in the call's context data,
    key ``authorization``) of one of ``roles``."""

    authenticator = Authenticator()
    rpc_consumer = PromptRpcConsumer()

    def __init__(self, roles=ANY_ROLE, **kwargs):
        self.roles = None if roles is None else tuple(roles)
        super().__init__(**kwargs)

    def handle_message(self, body, message):
        context_data = self.unpack_message_headers(message)
        try:
            self.authenticator.authenticate(context_data.get("authorization"), self.roles)
        except PlatformError as exc:
            self.rpc_consumer.handle_result(message, None, (type(exc), exc, None))
            return
        super().handle_message(body, message)

    def handle_result(self, message, worker_ctx, result, exc_info):
        """An RPC caller is answered by the classification an HTTP client gets
        (``as_platform_error``): a store that did not answer arrives as ``Unavailable``,
        which a caller can tell from a fault and retry, not as the driver's
        ``OperationalError``; an invalid request as ``BadRequest`` with the fields and
        reasons in its message, since a remote error carries only the message."""
        if exc_info is not None:
            answer = as_platform_error(exc_info[1])
            if answer is not None:
                if answer.fields:
                    answer = type(answer)(f"{answer.message} {json.dumps(answer.fields, ensure_ascii=False)}",
                                          fields=answer.fields)
                exc_info = (type(answer), answer, exc_info[2])
        return super().handle_result(message, worker_ctx, result, exc_info)


http = JsonHttp.decorator
rpc = AuthorizedRpc.decorator


@dataclass(frozen=True)
class Call:
    """The caller of the running worker and the correlation id of its request."""

    actor: Actor | None
    correlation_id: UUID

    @property
    def context(self) -> Context:
        if self.actor is None:
            raise PlatformError("No authenticated caller for this call.")
        return self.actor.context(self.correlation_id)


class Caller(DependencyProvider):
    """Gives a worker its authenticated caller (checked again from the token)."""

    authenticator = Authenticator()

    def get_dependency(self, worker_ctx):
        header = worker_ctx.data.get("authorization")
        actor = None
        if header:
            actor = self.authenticator.authenticate(header, None)
        try:
            correlation_id = UUID(str(worker_ctx.data.get("correlation_id")))
        except ValueError:
            correlation_id = uuid4()
        return Call(actor, correlation_id)


@cache
def schema(schema_class: type[Schema], **options) -> Schema:
    """One instance per schema class (and options such as ``many=True``): building one
    copies all its fields, and loading and dumping leave an instance unchanged."""
    return schema_class(**options)


def validated(schema, data) -> dict:
    """``schema.load(data)``, with a 400 naming each offending field."""
    try:
        return schema.load(data)
    except ValidationError as error:
        raise BadRequest("The request is not valid.", fields=error.messages) from None
