"""Property-based bad input on every HTTP endpoint of every service, on real resources
(a base, a batch, a round, an envelope, an allocation, a subscription created first):

- a valid request with one field changed (missing, null, of another type, out of range,
  oversized, an unknown field beside it, a nested field changed) is refused with a JSON
  400 naming exactly the fields its schema names, or, when the change leaves it valid,
  answered without a 500;
- whatever JSON body or query string arrives, with a role that may call the endpoint,
  the answer is a JSON error or a success, never a 500. Body fields are any text, or
  the name of a parameter of one of the service's handlers (a path parameter, a
  header's argument): a handler that spreads the body into its arguments must not be
  given one twice."""

import inspect
import re
import time
from urllib.parse import quote

import pytest
import requests
from marshmallow import Schema
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from services.backbone.runner import SERVICE_CLASSES, service_class
from tests.reliability.conftest import scale
from tests.support.authz import concrete_path, declared_matrix
from tests.support.broker import UpstreamLog
from tests.support.endpoint_examples import EXAMPLES, WITHOUT_BODY
from tests.support.mutations import one_change

values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
FEW = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def handler_parameters(service: str) -> list[str]:
    """Every parameter name of the service class's methods."""
    names = set()
    for attribute in vars(service_class(service)).values():
        if inspect.isfunction(attribute):
            names |= set(inspect.signature(attribute).parameters) - {"request"}
    return sorted(names)


def bodies(service: str):
    keys = st.text(max_size=16) | st.sampled_from(handler_parameters(service))
    return st.dictionaries(keys, values, max_size=6)


queries = st.dictionaries(st.sampled_from(["after", "limit", "offset", "status", "kind", "batch_id", "base_id",
                                           "as_of", "policy_version", "unread", "x"]),
                          st.text(max_size=12), max_size=3)
SKIPPED = ("/ops/queues", "/ops/audit", "/metrics", "/health", "/ready")  # no input / platform-wide


@pytest.fixture(params=sorted(SERVICE_CLASSES))
def service_with_resources(request, platform):
    """A service running alone, its upstream services played by UpstreamLogs, with the
    resources its endpoints act on created first: (service, examples, ids)."""
    service = request.param
    platform.start(service)
    upstreams = {}

    def upstream(source):
        return upstreams.setdefault(source, UpstreamLog(platform.config, source))

    examples, ids = EXAMPLES[service](platform, upstream)
    yield service, examples, ids
    for log in upstreams.values():
        log.close()


def test_a_valid_request_with_one_field_changed_is_refused_naming_it_or_succeeds(platform, service_with_resources):
    service, examples, _ = service_with_resources
    mutating = {route for route in declared_matrix()[service]["http"] if route.split()[0] != "GET"}
    assert mutating - WITHOUT_BODY == set(examples), "every endpoint that reads a body needs a valid example"
    statuses = []

    def send(route, case, body):
        response = requests.request(route.split()[0], platform.url(service, case.path), json=body, timeout=30,
                                    headers={**platform.headers(case.role, **case.scope), **case.headers()})
        statuses.append(response.status_code)
        return response

    for route, case in examples.items():  # the examples themselves are valid, and accepted as such
        body = case.body()
        assert not case.schema().validate(body), route
        answer = send(route, case, body)
        assert answer.status_code < 500 and answer.status_code != 400, (route, answer.text)

    @settings(max_examples=scale(40, 400), **FEW)
    @given(st.data())
    def change_one_field(data):
        route = data.draw(st.sampled_from(sorted(examples)))
        case = examples[route]
        field, how, body = data.draw(one_change(case.body()))
        response = send(route, case, body)
        where = (route, field, how, response.status_code, response.text[:500])
        assert response.status_code < 500, where
        answer = response.json()
        errors = case.schema().validate(body)
        if errors:
            assert response.status_code == 400, where
            assert set(answer["error"].get("fields") or {}) == set(errors), (where, errors)
        elif response.status_code >= 400:
            assert answer["error"]["message"], where

    change_one_field()
    assert 400 in statuses and any(status < 300 for status in statuses), statuses


def test_no_input_makes_any_endpoint_fail_with_500(platform, service_with_resources):
    service, _, ids = service_with_resources
    routes = [(route.split(" ", 1), allowed) for route, allowed in declared_matrix()[service]["http"].items()
              if not any(skip in route for skip in SKIPPED)]
    statuses = []

    @settings(max_examples=scale(10, 100), **FEW)
    @given(bodies(service), queries)
    @example({name: "x" for name in handler_parameters(service)}, {})  # every name at once
    def call_every_route(body, query):
        for (method, url), allowed in routes:
            role = "ops" if allowed in ("any", "public") else allowed[0]
            response = requests.request(method.split(",")[0], platform.url(service, concrete_path(url, ids)),
                                        json=body, params=query, headers=platform.headers(role), timeout=30)
            statuses.append(response.status_code)
            assert response.status_code < 500, (method, url, body, query, response.text)
            if response.status_code >= 400:
                assert "error" in response.json()

    call_every_route()
    assert statuses and any(status >= 400 for status in statuses)


# Query values an attacker would try, percent-encoded as they travel: the largest
# position, one past it, 10**30, negative, empty, very long, NUL, a lone surrogate,
# exponent notation, an audit cursor and a chain anchor past int64, the ends of time.
ADVERSARIAL = ["9223372036854775807", "9223372036854775808", "1" + "0" * 30, "-1", "", "x" * 4000, "%00",
               "%ED%A0%80", "1e3", quote("registry:99999999999999999999"), quote(f"{2**63}:{'a' * 64}"),
               quote("0001-01-01T00:00:00+14:00"), quote("9999-12-31T23:59:59-14:00")]
OUT_OF_RANGE = ["9223372036854775808", "1" + "0" * 30, "-1"]  # for an integer: 400 naming it
WITHOUT_QUERY = ("/metrics", "/health", "/ready", "/ops/queues", "/ops/status")


def query_parameters() -> list[str]:
    """Every parameter a query schema of the platform declares, and ``anchor``."""
    names, schemas = {"anchor"}, [Schema]
    while schemas:
        schema = schemas.pop()
        schemas += schema.__subclasses__()
        if schema.__name__.endswith("Query"):
            names |= set(schema._declared_fields)
    return sorted(names)


def read_routes(service: str) -> list[tuple[str, str, str]]:
    """(path pattern, role, route) of each GET route of ``service`` taking input; the
    routes every service shares (the log, ops) are tried on the registry only."""
    matrix = declared_matrix()
    shared = set.intersection(*(set(routes["http"]) for routes in matrix.values()))
    found = []
    for route, allowed in matrix[service]["http"].items():
        method, url = route.split(" ", 1)
        if method != "GET" or url in WITHOUT_QUERY or (route in shared and service != "registry"):
            continue
        found.append((url, "ops" if allowed in ("any", "public") else allowed[0], route))
    return found


def test_adversarial_query_values_answer_within_2s_without_500_and_health_answers(platform, service_with_resources):
    service, _, ids = service_with_resources
    tried = []

    def get(url, role, query) -> requests.Response:
        started = time.monotonic()
        response = requests.get(f"{platform.url(service, concrete_path(url, ids))}?{query}",
                                headers=platform.headers(role), timeout=10)
        where = (url, query[:80], response.status_code, response.text[:300])
        assert time.monotonic() - started < 2, where
        assert response.status_code != 500, where
        if response.status_code >= 400:
            assert "error" in response.json(), where
        tried.append(where)
        return response

    names = query_parameters()
    for url, role, route in read_routes(service):
        taken = {}
        # a few parameters a probe, so that the request line stays under its limit (414)
        for chunk in (names[i:i + 10] for i in range(0, len(names), 10)):
            probe = get(url, role, "&".join(f"{name}={'%01' * 100}" for name in chunk))
            refused = (probe.json().get("error") or {}).get("fields") or {} if probe.status_code == 400 else {}
            taken |= {name: str(errors) for name, errors in refused.items() if "Unknown field" not in str(errors)}
        for name in re.findall(r"<(?:\w+:)?(\w+)>", url) + ["self"]:  # handlers take these as arguments
            assert get(url, role, f"{name}=x").status_code < 500
        for name, errors in taken.items():
            for value in ADVERSARIAL:
                answer = get(url, role, f"{name}={value}")
                if value in OUT_OF_RANGE and "integer" in errors:
                    assert answer.status_code == 400 and name in answer.json()["error"]["fields"], (route, name, value)
            twice = get(url, role, f"{name}=1&{name}=2")
            assert twice.status_code == 400 and name in twice.json()["error"]["fields"], (route, name)
    if service == "registry":  # the log over RPC, as consumers read it: the same bounds
        with ClusterRpcProxy(platform.config_for_clients(), timeout=2,
                             context_data={"authorization": platform.headers("service")["Authorization"]}) as cluster:
            assert cluster.registry.events_after(after=2**63 - 1)["events"] == []
            with pytest.raises(RemoteError) as refused:
                cluster.registry.events_after(after=2**63)
            assert refused.value.exc_type == "BadRequest" and "after" in refused.value.value
    assert requests.get(platform.url(service, "/health"), timeout=2).status_code == 200
    assert len(tried) > 20, tried
