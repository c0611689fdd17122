"""Property-based bad input: whatever arrives, contracts answer with a ContractViolation
or ValidationError naming fields, and the HTTP API answers 4xx JSON, never 500, and
changes nothing."""

from uuid import uuid4

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from services.contracts import CATALOG, ContractViolation, load_event
from services.registry.schemas import DeclareRequest
from tests.integration.conftest import open_batch
from tests.reliability.conftest import scale
from tests.support.broker import UpstreamLog
from tests.support.fixtures import declaration
from tests.support.mutations import one_change

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
EXAMPLES = settings(max_examples=scale(60, 600), deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def valid_envelope() -> dict:
    return {
        "event_id": str(uuid4()), "type": "BatchClosed", "schema_version": 1, "source": "evaluation",
        "position": 3, "previous_position": 2, "occurred_at": "2017-09-07T09:00:00+08:00",
        "actor": {"id": str(uuid4()), "role": "drc", "name": ""}, "correlation_id": str(uuid4()),
        "payload": {"batch_id": str(uuid4())},
    }


@EXAMPLES
@given(json_values)
def test_any_json_is_an_event_or_a_contract_violation(data):
    try:
        load_event(data)
    except ContractViolation as violation:
        assert violation.messages


@EXAMPLES
@given(st.sampled_from(sorted(valid_envelope())), json_values)
def test_a_corrupted_envelope_field_is_named(field, value):
    data = valid_envelope()
    data[field] = value
    try:
        load_event(data)
    except ContractViolation as violation:
        assert field in violation.messages or "payload" in violation.messages or field in str(violation)


@EXAMPLES
@given(st.sampled_from(sorted(CATALOG)), st.dictionaries(st.text(max_size=12), json_values, max_size=6))
def test_every_payload_schema_answers_with_field_errors(event_type, payload):
    spec = CATALOG[event_type]
    try:
        spec.schemas[spec.current_version]().load(payload)
    except ValidationError as error:
        assert isinstance(error.messages, dict) and error.messages


def test_the_declaration_endpoint_never_fails_with_500_nor_changes_state(platform):
    """A valid declaration (contacts as v2 has them) with one field changed, nested ones
    included, or its value replaced by any JSON: 400/422 naming what the schema names,
    or a success; nothing written unless it succeeded."""
    platform.start("registry")
    upstream = UpstreamLog(platform.config, "evaluation")
    batch_id = open_batch(platform, upstream)
    url = platform.url("registry", "/bases")
    headers = platform.headers("drc")  # declares for any unit, whatever name a change leaves
    head = platform.app("registry").head()
    statuses = set()
    created = []
    valid = declaration(batch_id, name="山西大学")
    changed = one_change(valid) | st.tuples(st.sampled_from(sorted(valid)), st.just("any JSON"), json_values).map(
        lambda change: (change[0], change[1], {**valid, change[0]: change[2]}))

    @EXAMPLES
    @given(changed)
    def post(change):
        field, how, body = change
        response = requests.post(url, json=body, headers=headers, timeout=10)
        statuses.add(response.status_code)
        errors = DeclareRequest().validate(body)
        if not errors:  # the change happened to leave it valid
            assert response.status_code in (201, 409), response.text
            created.extend([1] if response.status_code == 201 else [])
            return
        assert response.status_code == 400, (field, how, response.text)
        error = response.json()["error"]
        assert error["message"] and set(error.get("fields") or {}) == set(errors), (field, how, error, errors)

    post()
    raw = requests.post(url, data=b"\xff\xfe not utf-8 {", headers={**headers, "Content-Type": "application/json"},
                        timeout=10)
    assert raw.status_code == 400
    # nothing else was written: each declaration is its base's event and its unit's
    assert platform.app("registry").head() == head + 2 * len(created)
    assert 500 not in statuses
    upstream.close()
