"""schemathesis against each running service, from the document it serves at
/openapi.json: no 500 anywhere, and every answer (its status, media type and body)
is one the document describes. Each operation is called with a token of a role it
allows, so the cases reach the handlers, not only the 403 of authorisation.

Bounded for ``make test`` (a few examples per operation); SC_CHAOS=full runs many more.
"""

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (content_type_conformance, not_a_server_error, response_schema_conformance,
                                 status_code_conformance)

from services.backbone.runner import SERVICE_CLASSES
from tests.reliability.conftest import FULL

EXAMPLES = 60 if FULL else 4
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# The platform-wide ops views ask every other service, which these runs do not start.
PLATFORM_WIDE = ("/ops/queues", "/ops/audit", "/ops/audit.csv")
PREFERRED = ("drc", "ops", "funding_office", "evaluator", "department")


def _headers(platform, operation) -> dict:
    roles = operation.definition.raw.get("x-roles")
    if roles == "public":
        return {}
    if roles == "any":
        return platform.headers("drc")
    role = next((r for r in PREFERRED if r in roles), roles[0])
    return platform.applicant() if role == "applicant" else platform.headers(role)


def _exercise(platform, service: str, operation) -> int:
    base_url, headers = platform.url(service), _headers(platform, operation)
    calls = []

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def run(case):
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        case.validate_response(response, checks=CHECKS)
        calls.append(response.status_code)

    run()
    return len(calls)


@pytest.mark.parametrize("service", sorted(SERVICE_CLASSES))
def test_every_answer_conforms_to_the_served_document(platform, service):
    platform.start(service)
    served = requests.get(platform.url(service, "/openapi.json"), timeout=30)
    assert served.status_code == 200 and served.headers["Content-Type"].startswith("application/json")
    schema = schemathesis.openapi.from_dict(served.json())
    exercised = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path in PLATFORM_WIDE:
            continue
        exercised += _exercise(platform, service, operation) > 0
    assert exercised >= 15
