"""schemathesis against each running service, from the document it serves at
/openapi.json: no 500 anywhere, and every answer (its status, media type and body)
is one the document describes, for requests it allows and requests it does not (whose
400 must be the one error body). Each operation is called with a token of a role it
allows, so the cases reach the handlers, not only the 403 of authorisation.

Bounded for ``make test`` (a few examples per operation); SC_CHAOS=full runs many more.
"""

import re
from uuid import uuid4

import pytest
import requests
import schemathesis
from schemathesis import GenerationMode
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import FlakyStrategyDefinition
from schemathesis.checks import (content_type_conformance, not_a_server_error, response_schema_conformance,
                                 status_code_conformance)

from services.backbone.runner import SERVICE_CLASSES
from services.backbone.web.openapi import openapi_path
from tests.reliability.conftest import FULL

EXAMPLES = 60 if FULL else 4
SCENARIOS, STEPS = (40, 12) if FULL else (6, 6)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# The platform-wide ops views ask every other service, which these runs do not start.
PLATFORM_WIDE = ("/ops/queues", "/ops/audit", "/ops/audit.csv")
PREFERRED = ("drc", "ops", "funding_office", "evaluator", "department")


def _headers(platform, operation) -> dict:
    return _headers_for(platform, operation.definition.raw.get("x-roles"))


def _headers_for(platform, roles) -> dict:
    if roles == "public":
        return {}
    if roles == "any":
        return platform.headers("drc")
    role = next((r for r in PREFERRED if r in roles), roles[0])
    return platform.applicant() if role == "applicant" else platform.headers(role)


def _exercise(platform, service: str, operation, ids: dict) -> list[int]:
    """Generated requests, on the path's real resources where the test made them (a
    random id only ever meets a 404) and on random ids too."""
    base_url, headers = platform.url(service), _headers(platform, operation)
    real = {name: ids[name] for name in re.findall(r"{(\w+)}", operation.path) if name in ids}
    strategies = [operation.as_strategy(mode) for mode in GenerationMode]
    if real:
        strategies += [operation.as_strategy(mode, path_parameters=real) for mode in GenerationMode]
    calls = []

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=st.one_of(strategies))
    def run(case):
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        case.validate_response(response, checks=CHECKS)
        calls.append(response.status_code)

    run()
    return calls


def _valid_requests_answer_as_documented(platform, service: str, schema, examples: dict) -> list[int]:
    """Each endpoint's valid example request (tests/support/endpoint_examples.py) is
    answered as its document declares (mostly a success, whose body is then checked)."""
    statuses = []
    for route, example in examples.items():
        method, url = route.split(" ", 1)
        path = openapi_path(url)
        operation = schema.find_operation_by_label(f"{method} {path}")
        given = re.fullmatch(re.sub(r"{(\w+)}", r"(?P<\1>[^/]+)", path), example.path).groupdict()
        case = operation.Case(path_parameters=given, body=example.body(), media_type="application/json")
        response = requests.request(method, platform.url(service, example.path), json=case.body, timeout=30,
                                    headers={**platform.headers(example.role, **example.scope), **example.headers()})
        case.validate_response(response, checks=CHECKS)
        statuses.append(response.status_code)
    return statuses


@pytest.mark.parametrize("service_with_resources", sorted(SERVICE_CLASSES), indirect=True)
def test_every_answer_conforms_to_the_served_document(platform, service_with_resources):
    service, examples, ids = service_with_resources
    served = requests.get(platform.url(service, "/openapi.json"), timeout=30)
    assert served.status_code == 200 and served.headers["Content-Type"].startswith("application/json")
    schema = schemathesis.openapi.from_dict(served.json())
    valid = _valid_requests_answer_as_documented(platform, service, schema, examples)
    # valid, so never a 400; some find the resource already past the step (a 404, 409, 422)
    assert 400 not in valid and max(valid) < 500 and any(200 <= status < 300 for status in valid), valid
    statuses: dict[str, list[int]] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path not in PLATFORM_WIDE:
            statuses[operation.label] = _exercise(platform, service, operation, ids)
    answered = [status for calls in statuses.values() for status in calls]
    assert len([calls for calls in statuses.values() if calls]) >= 15
    assert 400 in answered and any(200 <= status < 300 for status in answered), statuses


@pytest.mark.parametrize("service", sorted(SERVICE_CLASSES))
def test_sequences_that_follow_the_documents_links_conform(platform, service):
    """Stateful: what one call made (a batch, a round, an envelope, a subscription)
    is what the next calls act on, by the links each answer declares."""
    platform.start(service)
    served = requests.get(platform.url(service, "/openapi.json"), timeout=30).json()
    schema = schemathesis.openapi.from_dict(served).exclude(path=list(PLATFORM_WIDE))
    roles = {(operation.method.upper(), operation.path): operation.definition.raw.get("x-roles")
             for operation in (result.ok() for result in schema.get_all_operations())}
    steps: list[tuple[str, int]] = []
    failures: list[str] = []

    class Machine(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            """A token of a role the operation allows, and a new Idempotency-Key for each
            call as a client gives a new request (a key generated twice would replay the
            first answer, and the same steps would then fill other bundles)."""
            headers = _headers_for(platform, roles[(case.method.upper(), case.operation.path)])
            if case.headers and "Idempotency-Key" in case.headers:
                headers["Idempotency-Key"] = str(uuid4())
            return {"base_url": platform.url(service), "timeout": 30, "headers": headers}

        def validate_response(self, response, case, **kwargs):
            try:
                case.validate_response(response, checks=CHECKS)
            except Exception as failure:
                failures.append(f"{case.method.upper()} {case.path} {response.status_code}: {failure}")
                raise
            steps.append((f"{case.method.upper()} {case.operation.path}", response.status_code))

    try:
        Machine.run(settings=settings(max_examples=SCENARIOS, stateful_step_count=STEPS, deadline=None,
                                      database=None, derandomize=not FULL,
                                      suppress_health_check=list(HealthCheck), phases=[Phase.generate]))
    except FlakyStrategyDefinition:
        # The live service's state (what earlier scenarios made) makes a sequence Hypothesis
        # replays from a known prefix take other steps; every step that ran was checked.
        pass
    assert not failures, failures[0]
    assert steps, "no scenario ran"
    assert not [step for step, _ in steps if step.split(" ", 1)[1] in PLATFORM_WIDE]
