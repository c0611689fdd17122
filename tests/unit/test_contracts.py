"""Contracts: the envelope and payloads refuse what is unknown, missing or ill-typed,
naming the field; money is never a float; times carry their zone."""

from datetime import datetime, timezone
from decimal import Decimal
from uuid import uuid4

import pytest
from marshmallow import Schema, ValidationError

from services.contracts import ContractViolation, load_event
from services.contracts.fields import Money


def envelope(**changes) -> dict:
    data = {
        "event_id": str(uuid4()),
        "type": "BatchClosed",
        "schema_version": 1,
        "source": "evaluation",
        "position": 7,
        "previous_position": 6,
        "occurred_at": "2017-09-07T09:00:00+08:00",
        "actor": {"id": str(uuid4()), "role": "drc", "name": "省发展改革委"},
        "correlation_id": str(uuid4()),
        "payload": {"batch_id": str(uuid4())},
    }
    data.update(changes)
    return data


def violation(data) -> dict:
    with pytest.raises(ContractViolation) as caught:
        load_event(data)
    return caught.value.messages


def test_a_valid_envelope_loads_with_typed_fields():
    event = load_event(envelope())
    assert event.position == 7 and event.previous_position == 6
    assert event.occurred_at.utcoffset().total_seconds() == 8 * 3600
    assert event.actor.role == "drc"


def test_unknown_and_missing_fields_are_named():
    data = envelope(extra=1)
    del data["correlation_id"]
    messages = violation(data)
    assert messages["extra"] == ["Unknown field."]
    assert messages["correlation_id"] == ["Missing data for required field."]


def test_payload_errors_are_nested_under_payload():
    messages = violation(envelope(payload={"batch_id": "nope", "colour": "red"}))
    assert "batch_id" in messages["payload"] and "colour" in messages["payload"]


def test_a_naive_timestamp_is_refused():
    assert "occurred_at" in violation(envelope(occurred_at="2017-09-07T09:00:00"))


def test_unknown_type_version_and_wrong_source_are_refused():
    assert "type" in violation(envelope(type="BaseRenamed"))
    assert "schema_version" in violation(envelope(schema_version=9))
    assert "source" in violation(envelope(source="funding"))


def test_position_must_be_a_positive_integer_not_a_string():
    assert "position" in violation(envelope(position="7"))
    assert "position" in violation(envelope(position=0))


def test_positions_fit_the_signed_64_bit_integer_every_consumer_stores_them_in():
    assert load_event(envelope(position=2**63 - 1, previous_position=2**63 - 2)).position == 2**63 - 1
    assert set(violation(envelope(position=10**30))) == {"position"}
    assert set(violation(envelope(position=2**63))) == {"position"}
    assert set(violation(envelope(previous_position=10**30))) == {"previous_position"}


def test_not_a_json_object_is_refused():
    assert "_schema" in violation(["a", "list"])


class Priced(Schema):
    amount = Money(required=True)


@pytest.mark.parametrize("value, expected", [("1000", "1000.00"), ("0.01", "0.01"), (250, "250.00"),
                                             ("1250000.50", "1250000.50")])
def test_money_is_decimal_with_two_places(value, expected):
    loaded = Priced().load({"amount": value})["amount"]
    assert isinstance(loaded, Decimal) and str(loaded) == expected
    assert Priced().dump({"amount": loaded}) == {"amount": expected}


@pytest.mark.parametrize("value, reason", [(10.5, "floats"), ("1.234", "two decimal places"),
                                           ("0", "greater than 0"), ("-5", "greater than 0"),
                                           ("abc", "Not a valid"), ("NaN", "finite"), (True, "floats")])
def test_money_refuses_floats_fractions_of_fen_and_non_positive(value, reason):
    with pytest.raises(ValidationError) as caught:
        Priced().load({"amount": value})
    assert reason in caught.value.messages["amount"][0]


def test_funding_allocated_tranches_must_add_up():
    from services.contracts.funding import FundingAllocatedV1

    payload = {
        "allocation_id": str(uuid4()), "base_id": str(uuid4()), "envelope_id": str(uuid4()),
        "fiscal_year": 2017, "fund_source": "provincial_budget", "amount": "1000000.00",
        "purpose": "双创示范基地建设", "tranches": [
            {"tranche_id": str(uuid4()), "amount": "600000.00", "milestone": "方案备案"},
            {"tranche_id": str(uuid4()), "amount": "300000.00", "milestone": "中期评估"}],
    }
    with pytest.raises(ValidationError) as caught:
        FundingAllocatedV1().load(payload)
    assert "tranches" in caught.value.messages


def plan_filed(**changes) -> dict:
    from services.contracts import CATALOG

    return {**CATALOG["PlanFiled"].example, **changes}


@pytest.mark.parametrize("value, reason", [
    (0.3, "floats are not accepted"), ("0.305", "At most 2 decimal places"),
    ("-1", "at least 0"), ("一百", "Not a decimal number"), (True, "floats are not accepted"),
    ("9" * 40, "At most 26 digits before the decimal point"),  # was a 500: quantize overflowed
    ("1E+26", "At most 26 digits before the decimal point"),
])
def test_a_plan_target_is_an_exact_decimal_never_a_rounded_float(value, reason):
    from services.contracts.registry import PlanFiledV1

    target = {"metric": "financing_raised", "value": value, "due": "2018-12-31"}
    with pytest.raises(ValidationError) as caught:
        PlanFiledV1().load(plan_filed(targets=[target]))
    assert reason in str(caught.value.messages["targets"][0]["value"])
    loaded = PlanFiledV1().load(plan_filed(targets=[{**target, "value": "3000000.5"}]))
    assert loaded["targets"][0]["value"] == Decimal("3000000.50")
    widest = PlanFiledV1().load(plan_filed(targets=[{**target, "value": "9" * 26 + ".99"}]))
    assert widest["targets"][0]["value"] == Decimal("9" * 26 + ".99")


def test_a_score_in_a_decision_or_a_grade_is_an_exact_decimal_never_a_float():
    from services.contracts import CATALOG

    adjusted = {**CATALOG["BaseAdjusted"].example, "score": 91.5}
    assert "floats are not accepted" in str(violation(envelope(
        type="BaseAdjusted", payload=adjusted))["payload"]["score"])
    closed = dict(CATALOG["RoundClosed"].example)
    closed["grades"] = [{**closed["grades"][0], "score": "100.01"}]
    assert "from 0 to 100" in str(violation(envelope(type="RoundClosed", payload=closed,
                                                     schema_version=CATALOG["RoundClosed"].current_version)))


def test_a_filed_plan_carries_one_county_and_one_competent_department_approval():
    from services.contracts.registry import PlanFiledV2

    county, department = plan_filed()["approvals"]
    for approvals in ([county, county], [department, department], [county, department, department]):
        with pytest.raises(ValidationError) as caught:
            PlanFiledV2().load(plan_filed(approvals=approvals))
        assert "county government" in caught.value.messages["approvals"][0]
    assert len(PlanFiledV2().load(plan_filed())["approvals"]) == 2


def test_a_target_of_an_annual_indicator_needs_plan_filed_version_2():
    from services.contracts.registry import PlanFiledV1, PlanFiledV2

    transfers = plan_filed()
    assert any(t["metric"] == "technology_transfers" for t in transfers["targets"])
    assert PlanFiledV2().load(transfers)["plan_version"] == 1
    with pytest.raises(ValidationError) as caught:
        PlanFiledV1().load(transfers)  # version 1 consumers know half-yearly metrics only
    assert "targets" in caught.value.messages
    old = {**transfers, "targets": [{"metric": "patents", "value": "120.00", "due": "2018-12-31"}]}
    upcast = load_event(envelope(type="PlanFiled", source="registry", schema_version=1, payload=old))
    assert upcast.schema_version == 2 and upcast.payload["targets"][0]["metric"] == "patents"


def test_an_event_round_trips_through_its_message_form():
    event = load_event(envelope())
    again = load_event(event.to_message())
    assert again == event
    assert again.occurred_at == datetime(2017, 9, 7, 1, 0, tzinfo=timezone.utc)


def test_every_contract_example_is_valid_at_its_current_version():
    from services.contracts import CATALOG

    for spec in CATALOG.values():
        assert spec.example, f"{spec.type} has no example"
        spec.schemas[spec.current_version]().load(spec.example)


def test_the_whole_message_shown_in_docs_events_md_is_a_valid_event():
    from services.contracts.docs import example_message

    event = load_event(example_message())
    assert event.type == "BaseAdjusted" and event.previous_position == 40


def test_docs_events_md_is_generated_from_the_contracts():
    from pathlib import Path

    from services.contracts.docs import render

    document = Path(__file__).resolve().parents[2] / "docs" / "events.md"
    assert document.read_text(encoding="utf-8") == render(), "run: sc docs-events > docs/events.md"


def test_a_v1_base_declared_is_read_as_v2_with_its_contact_as_primary():
    from services.contracts import CATALOG

    v1 = {"event_id": str(uuid4()), "type": "BaseDeclared", "schema_version": 1,
          "source": "registry", "position": 1, "previous_position": None,
          "occurred_at": "2017-05-01T10:00:00+08:00",
          "actor": {"id": str(uuid4()), "role": "applicant", "name": ""},
          "correlation_id": str(uuid4()),
          "payload": {**{k: v for k, v in CATALOG["BaseDeclared"].example.items() if k != "contacts"},
                      "contact": {"name": "王老师", "phone": "0351-7010000", "email": None}}}
    event = load_event(v1)
    assert event.schema_version == 2
    assert event.payload["contacts"] == [{"name": "王老师", "phone": "0351-7010000", "email": None,
                                          "role": "primary"}]
    assert event.to_message()["schema_version"] == 2
    v1["payload"]["contacts"] = []
    with pytest.raises(ContractViolation) as caught:  # v1 has no contacts field
        load_event(v1)
    assert "contacts" in caught.value.messages["payload"]


def test_a_v1_round_closed_is_read_as_v2_with_nothing_withdrawn_and_no_reason():
    from services.contracts import CATALOG

    v1 = {"event_id": str(uuid4()), "type": "RoundClosed", "schema_version": 1,
          "source": "evaluation", "position": 9, "previous_position": 8,
          "occurred_at": "2018-06-29T17:00:00+08:00",
          "actor": {"id": str(uuid4()), "role": "drc", "name": "省发展改革委"},
          "correlation_id": str(uuid4()),
          "payload": {k: v for k, v in CATALOG["RoundClosed"].example.items()
                      if k not in ("withdrawn", "policy_reason")}}
    event = load_event(v1)
    assert (event.schema_version, event.payload["withdrawn"], event.payload["policy_reason"]) == (
        2, [], None)
    v1["payload"]["grades"] = []
    assert "grades" in violation(v1)["payload"]  # version 1 always graded at least one base


def test_a_declaration_needs_exactly_one_primary_contact():
    from services.contracts.registry import BaseDeclaredV2
    from services.contracts import CATALOG

    payload = dict(CATALOG["BaseDeclared"].example)
    payload["contacts"] = [{**c, "role": "deputy"} for c in payload["contacts"]]
    with pytest.raises(ValidationError) as caught:
        BaseDeclaredV2().load(payload)
    assert "contacts" in caught.value.messages


def test_v1_funding_events_are_read_with_the_words_of_a_step_as_its_code_and_other_text_as_written():
    from services.contracts import CATALOG

    example = CATALOG["FundingAllocated"].example
    first, second = example["tranches"]
    v1 = {"event_id": str(uuid4()), "type": "FundingAllocated", "schema_version": 1,
          "source": "funding", "position": 3, "previous_position": 2,
          "occurred_at": "2017-11-01T09:00:00+08:00",
          "actor": {"id": str(uuid4()), "role": "funding_office", "name": "资金管理处"},
          "correlation_id": str(uuid4()),
          "payload": {**example, "tranches": [{**first, "milestone": "建设方案备案"},
                                              {**second, "milestone": "2018年第三方评估合格"}]}}
    event = load_event(v1)
    assert event.schema_version == 2
    assert [t["milestone"] for t in event.payload["tranches"]] == ["plan_filed", "2018年第三方评估合格"]
