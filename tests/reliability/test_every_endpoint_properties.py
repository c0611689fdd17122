"""Property-based bad input on every HTTP endpoint of every service: whatever JSON body
or query string arrives, with a role that may call the endpoint, the answer is a JSON
error or a success, never a 500. Body fields are any text, or the name of a parameter
of one of the service's handlers (a path parameter, a header's argument): a handler
that spreads the body into its arguments must not be given one twice."""

import inspect

import pytest
import requests
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from services.backbone.runner import SERVICE_CLASSES, service_class
from tests.reliability.conftest import scale
from tests.support.authz import concrete_path, declared_matrix

values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)


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


queries = st.dictionaries(st.sampled_from(["after", "limit", "status", "kind", "batch_id", "base_id",
                                           "as_of", "policy_version", "unread", "x"]),
                          st.text(max_size=12), max_size=3)
SKIPPED = ("/ops/queues", "/ops/audit", "/metrics", "/health", "/ready")  # no input / platform-wide


@pytest.mark.parametrize("service", sorted(SERVICE_CLASSES))
def test_no_input_makes_any_endpoint_fail_with_500(platform, service):
    platform.start(service)
    routes = [(route.split(" ", 1), allowed) for route, allowed in declared_matrix()[service]["http"].items()
              if not any(skip in route for skip in SKIPPED)]
    statuses = []

    @settings(max_examples=scale(15, 100), deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(bodies(service), queries)
    @example({name: "x" for name in handler_parameters(service)}, {})  # every name at once
    def call_every_route(body, query):
        for (method, url), allowed in routes:
            role = "ops" if allowed in ("any", "public") else allowed[0]
            response = requests.request(method.split(",")[0], platform.url(service, concrete_path(url)),
                                        json=body, params=query, headers=platform.headers(role), timeout=30)
            statuses.append(response.status_code)
            assert response.status_code < 500, (method, url, body, query, response.text)
            if response.status_code >= 400:
                assert "error" in response.json()

    call_every_route()
    assert statuses and any(status >= 400 for status in statuses)
