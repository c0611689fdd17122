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

import pytest
import requests
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
