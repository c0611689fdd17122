"""Every endpoint × every role: the declared rules are the reviewed ones
(authorization_matrix.yaml), and the running services enforce them over HTTP and RPC:
no token → 401, a role outside the rule → 403, a role inside it gets past authorisation."""

from pathlib import Path

import pytest
import requests
import yaml
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy

from services.backbone.runner import SERVICE_CLASSES
from tests.support.authz import ALL_ROLES, concrete_path, declared_matrix, expected_outcome

MATRIX_FILE = Path(__file__).with_name("authorization_matrix.yaml")


def test_the_declared_rules_are_the_reviewed_matrix():
    reviewed = yaml.safe_load(MATRIX_FILE.read_text(encoding="utf-8"))
    assert declared_matrix() == reviewed, (
        "an entrypoint's roles changed: review, then regenerate with "
        "python -m tests.reliability.test_authorization_matrix")


def _http_outcome(response) -> str:
    if response.status_code == 401:
        return "401"
    if response.status_code == 403 and response.json()["error"]["detail"].startswith("Role "):
        return "403"
    return "open"


# The platform-wide ops views ask every other service (which these tests do not run)
# and wait for their answers: a role they allow is checked in their own tests; a role
# they refuse is refused before any work, and is checked here.
PLATFORM_WIDE = ("/ops/queues", "/ops/audit")


@pytest.mark.parametrize("service", sorted(SERVICE_CLASSES))
def test_http_enforces_the_matrix(platform, service):
    platform.start(service)
    checked, refusals_of_platform_wide_views = 0, 0
    for route, allowed in declared_matrix()[service]["http"].items():
        method, url = route.split(" ", 1)
        if allowed == "public":
            continue
        for role in [None, *ALL_ROLES]:
            platform_wide = any(view in url for view in PLATFORM_WIDE)
            if platform_wide and expected_outcome(allowed, role) == "open":
                continue
            refusals_of_platform_wide_views += platform_wide
            headers = platform.headers(role) if role else {}
            response = requests.request(method.split(",")[0], platform.url(service, concrete_path(url)),
                                        json={}, headers=headers, timeout=30)
            assert _http_outcome(response) == expected_outcome(allowed, role), (route, role, response.text)
            checked += 1
    assert checked > 0
    assert refusals_of_platform_wide_views > 0  # /ops/queues, /ops/audit, /ops/audit.csv


@pytest.mark.parametrize("service", sorted(SERVICE_CLASSES))
def test_rpc_enforces_the_matrix(platform, service):
    platform.start(service)
    for method, allowed in declared_matrix()[service]["rpc"].items():
        for role in [None, *ALL_ROLES]:
            context = {"authorization": f"Bearer {platform.token(role)}"} if role else {}
            with ClusterRpcProxy(platform.config_for_clients(), context_data=context, timeout=10) as cluster:
                try:
                    getattr(getattr(cluster, service), method)()
                    outcome = "open"
                except RemoteError as error:
                    outcome = {"Unauthenticated": "401", "Forbidden": "403"}.get(error.exc_type, "open")
                    if outcome == "403" and not str(error.value).startswith("Role "):
                        outcome = "open"  # refused for scope, after authorisation
                except Exception:  # e.g. IncorrectSignature: it got past authorisation
                    outcome = "open"
            assert outcome == expected_outcome(allowed, role), (method, role)


if __name__ == "__main__":
    import eventlet

    eventlet.monkey_patch()
    MATRIX_FILE.write_text(yaml.safe_dump(declared_matrix(), allow_unicode=True, sort_keys=True),
                           encoding="utf-8")
    print(f"wrote {MATRIX_FILE}")
