"""What an HTTP route declares about itself beside its roles: the schemas of its query,
body and answer. The OpenAPI documents are built from these declarations, so a route
says once what it reads and answers, on its decorator, and the handler keeps loading
and dumping with the same schemas."""

from dataclasses import dataclass

from marshmallow import Schema

SchemaRef = type[Schema] | Schema | None


@dataclass(frozen=True)
class RouteDoc:
    """``query`` and ``body`` are the schemas a request is loaded with, ``response`` the
    one its answer is dumped with (None: the route answers no JSON body of its own),
    ``status`` the status of success and ``produces`` its media type (a CSV or
    Prometheus' text has no schema: its media type declares it)."""

    query: SchemaRef = None
    body: SchemaRef = None
    response: SchemaRef = None
    status: int = 200
    produces: str = "application/json"
    summary: str | None = None
    headers: tuple[str, ...] = ()  # required request headers (an Idempotency-Key)
    also: tuple[int, ...] = ()  # other statuses of success with the same answer (a replay's 200)

    @property
    def declared(self) -> bool:
        """Whether the route said what it answers (every route must; the parity test
        names those that did not)."""
        return self.response is not None or self.produces != "application/json"
