"""Property-based bad input on every HTTP endpoint of every service: whatever JSON body
or query string arrives, with a role that may call the endpoint, the answer is a JSON
error or a success, never a 500."""

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.backbone.runner import SERVICE_CLASSES
from tests.reliability.conftest import scale
from tests.support.authz import concrete_path, declared_matrix

values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
bodies = st.dictionaries(st.text(max_size=16), values, max_size=6)
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
    @given(bodies, queries)
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
