"""The OpenAPI documents are built from the routes' own declarations: a route that
exists and is not in its service's document (or did not declare what it answers), or a
path in the document that no route serves, fails here by name; so does a route whose
roles in the document are not the reviewed authorization matrix's."""

import inspect
import re
from pathlib import Path

import pytest
import schemathesis
import yaml

from marshmallow import Schema, fields

from services.backbone.ops.endpoints import ServiceOperations
from services.backbone.web import answers
from services.backbone.runner import RUNNABLE, SERVICE_CLASSES, service_class
from services.backbone.web.openapi import build_document, http_routes, openapi_path

MATRIX = yaml.safe_load(Path(__file__).parents[1].joinpath(
    "reliability", "authorization_matrix.yaml").read_text(encoding="utf-8"))
SERVICES = sorted(SERVICE_CLASSES)


@pytest.fixture(scope="module", params=SERVICES)
def service(request):
    cls = service_class(request.param)
    return request.param, cls, build_document(cls)


@pytest.fixture(scope="module", params=sorted(RUNNABLE))
def runnable(request):
    """The four services, and the console's JSON routes (its pages are not the API)."""
    cls = service_class(request.param)
    return request.param, cls, build_document(cls)


def _operations(document) -> set[str]:
    return {f"{method.upper()} {path}" for path, item in document["paths"].items()
            for method in item if method in ("get", "post", "put", "patch", "delete")}


def test_every_route_is_in_the_document_and_nothing_else(runnable):
    name, cls, document = runnable
    served = {f"{method} {openapi_path(entrypoint.url)}" for method, entrypoint, _ in http_routes(cls)}
    documented = _operations(document)
    assert not served - documented, f"{name}: routes the document lacks: {sorted(served - documented)}"
    assert not documented - served, f"{name}: paths no route serves: {sorted(documented - served)}"
    assert len(served) > 10


def test_every_route_declares_what_it_answers(runnable):
    name, cls, _ = runnable
    undeclared = [f"{method} {entrypoint.url} ({handler.__name__})"
                  for method, entrypoint, handler in http_routes(cls) if not entrypoint.doc.declared]
    assert not undeclared, (f"{name}: declare response= (and query=/body=) on the @http decorator of: "
                            + ", ".join(undeclared))


def test_the_roles_in_the_document_are_the_reviewed_matrix(service):
    name, _, document = service
    reviewed = {route: roles for route, roles in MATRIX[name]["http"].items()}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            route = next(r for r in reviewed if r.split(" ")[0] == method.upper()
                         and openapi_path(r.split(" ", 1)[1]) == path)
            assert operation["x-roles"] == reviewed[route], (name, route)
            assert (operation["security"] == []) == (reviewed[route] == "public"), (name, route)


def test_every_error_answer_is_the_one_error_schema(service):
    _, _, document = service
    for status, response in document["components"]["responses"].items():
        assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}, status
    for item in document["paths"].values():
        for method, operation in item.items():
            if method == "parameters":
                continue
            for status, response in operation["responses"].items():
                if status == "default" or int(status) >= 400:
                    assert "$ref" in response or response["content"]["application/json"]["schema"] == {
                        "$ref": "#/components/schemas/Error"}, (method, status)
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def _property(document, schema: str, name: str) -> dict:
    return document["components"]["schemas"][schema]["properties"][name]


def test_money_is_a_decimal_string_and_choices_are_enums():
    funding = build_document(service_class("funding"))
    amount = _property(funding, "AllocationRequest", "amount")
    assert amount["type"] == "string" and amount["pattern"].startswith("^\\d")
    assert _property(funding, "EnvelopeOut", "total")["type"] == "string"
    registry = build_document(service_class("registry"))
    query = next(p for p in registry["paths"]["/bases"]["get"]["parameters"] if p["name"] == "kind")
    assert set(query["schema"]["enum"]) == {"regional", "university", "enterprise"}
    city = next(p for p in registry["paths"]["/bases"]["get"]["parameters"] if p["name"] == "city")
    assert "太原市" in city["schema"]["enum"] and len(city["schema"]["enum"]) == 11


def test_a_request_body_and_its_answer_are_the_schemas_the_route_loads_and_dumps():
    registry = build_document(service_class("registry"))
    declare = registry["paths"]["/bases"]["post"]
    assert declare["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/DeclareRequest"}
    assert declare["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/BaseOut"}
    assert registry["components"]["schemas"]["DeclareRequest"]["additionalProperties"] is False
    assert registry["openapi"] == "3.1.0"


def test_each_document_is_valid_openapi_3_1(runnable):
    """Against OpenAPI 3.1's own schema (the copy schemathesis ships)."""
    name, _, document = runnable
    schemathesis.openapi.from_dict(document).validate()  # raises, naming the fault


# loaded by a handler's dependency (self.operations), which the scan does not follow
LOADED_BY_DEPENDENCIES = {"PlatformAuditQuery"}


def _body_of(function) -> str:
    source = inspect.getsource(function)
    return source[source.index("def "):]  # not its decorator, which names the declared schemas


def _loaded_with(cls, handler) -> str:
    """The source of a handler and of the methods it hands the request to."""
    source = _body_of(handler)
    called = [getattr(cls, name, None) for name in re.findall(r"self\.(\w+)\(", source)]
    return source + "".join(_body_of(method) for method in called if inspect.isfunction(method))


def test_a_declared_query_or_body_is_the_schema_the_handler_loads(runnable):
    """No second copy: the schema a route declares is the one its handler (or the RPC
    method it calls) validates with, by name."""
    name, cls, _ = runnable
    assert all(name in _body_of(ServiceOperations.platform_audit) for name in LOADED_BY_DEPENDENCIES)
    drifted = []
    for method, entrypoint, handler in http_routes(cls):
        for declared in (entrypoint.doc.query, entrypoint.doc.body):
            if declared is not None:
                schema_cls = declared if inspect.isclass(declared) else type(declared)
                if schema_cls.__name__ not in LOADED_BY_DEPENDENCIES | {*re.findall(r"\w+", _loaded_with(cls, handler))}:
                    drifted.append(f"{method} {entrypoint.url}: {schema_cls.__name__}")
    assert not drifted, f"{name}: declared schemas the handlers do not load: {drifted}"


def _dumped_by(schema) -> set[str]:
    """The schema classes an answer is dumped with: its own and those it extends, or
    (an answer made by web/answers.py wraps rows) those of the rows it nests."""
    cls = schema if inspect.isclass(schema) else type(schema)
    nested = {type(getattr(field, "inner", field).schema).__name__ for field in cls().fields.values()
              if isinstance(getattr(field, "inner", field), fields.Nested)}
    return {base.__name__ for base in cls.__mro__ if issubclass(base, Schema) and base is not Schema} | nested


def _built_by_hand(schema) -> bool:
    """An answer of web/answers.py that nests no schema: the handler builds it as a dict
    (health, a report, a count), which only the running service's answers can check
    (test_openapi_conformance.py)."""
    cls = schema if inspect.isclass(schema) else type(schema)
    return cls.__module__ == answers.__name__ and _dumped_by(cls) == {cls.__name__}


def test_a_declared_answer_is_the_schema_the_handler_dumps_with(runnable):
    name, cls, _ = runnable
    drifted = []
    for method, entrypoint, handler in http_routes(cls):
        response = entrypoint.doc.response
        if response is not None and not _built_by_hand(response):
            if not _dumped_by(response) & {*re.findall(r"\w+", _loaded_with(cls, handler))}:
                drifted.append(f"{method} {entrypoint.url}: {sorted(_dumped_by(response))}")
    assert not drifted, f"{name}: declared answers the handlers do not dump with: {drifted}"


def test_a_schema_the_handler_loads_is_declared(runnable):
    """The reverse: a query or body schema a handler (or the RPC method it calls) loads
    is on its decorator, so a parameter added to a handler is in the document too."""
    name, cls, _ = runnable
    undeclared = []
    for method, entrypoint, handler in http_routes(cls):
        source = _loaded_with(cls, handler)
        loaded = set(re.findall(r"validated\((?:schema\()?(\w+)", source))
        declared = {(item if inspect.isclass(item) else type(item)).__name__
                    for item in (entrypoint.doc.query, entrypoint.doc.body) if item is not None}
        if loaded - declared:
            undeclared.append(f"{method} {entrypoint.url}: {sorted(loaded - declared)}")
    assert not undeclared, f"{name}: schemas loaded but not declared as query= or body=: {undeclared}"


def test_every_mutating_json_route_declares_the_idempotency_key_once(runnable):
    """Declared generically (web/idempotent.py): optional where the backbone honours it,
    required on the routes that keep their own (funding's); none on uploads."""
    _, cls, document = runnable
    for method, entrypoint, _ in http_routes(cls):
        if not entrypoint.mutating or entrypoint.public or entrypoint.body_types != ("application/json",):
            continue
        operation = document["paths"][openapi_path(entrypoint.url)][method.lower()]
        keys = [p for p in operation.get("parameters", []) if p.get("name") == "Idempotency-Key"]
        assert len(keys) == 1, f"{method} {entrypoint.url}"
        assert keys[0]["required"] is ("Idempotency-Key" in entrypoint.doc.headers), f"{method} {entrypoint.url}"
