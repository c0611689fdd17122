"""Dates and numbers are bounded where requests come in, to what every consumer can
process: a batch opening in year 1 at +14:00 broke a consumer that converted it to UTC,
and a metric count of 4,001 digits was stored."""

from datetime import datetime, timedelta, timezone

import pytest
from marshmallow import ValidationError, fields, validate

from services.contracts.fields import Day, ExactDecimal, Moment
from services.evaluation.schemas import MetricsRequest, OpenBatchRequest
from services.registry.schemas import ApprovalRequest, AsOfQuery, PlanRequest
from tests.integration.test_registry_plans import TARGETS, TASKS
from tests.support.request_schemas import leaf_fields, request_schemas

NOW = datetime.now(timezone.utc)
VALUES = {"incubated_enterprises": 12, "jobs_created": 300, "financing_raised": "1500000.00",
          "patents": 8, "events_held": 20}


def refused(schema, body) -> dict:
    with pytest.raises(ValidationError) as caught:
        schema().load(body)
    return caught.value.messages


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00",
                                    "1999-12-31T23:59:59+00:00", "2101-01-01T08:00:00+08:00"])
def test_a_time_outside_2000_to_2100_is_refused_naming_the_field(moment):
    batch = {"name": "2017年第一批", "opens_at": moment, "closes_at": (NOW + timedelta(days=9)).isoformat(),
             "quota": 12}
    assert refused(OpenBatchRequest, batch) == {"opens_at": ["A time from 2000 to 2100 is expected."]}
    assert "as_of" in refused(AsOfQuery, {"as_of": moment})


def test_times_and_dates_at_the_edges_of_the_range_are_taken():
    assert OpenBatchRequest().load({"name": "第一批", "opens_at": "2000-01-01T08:00:00+08:00",
                                    "closes_at": "2100-12-31T23:59:59+00:00", "quota": 1})
    plan = {"tasks": TASKS, "targets": [{**TARGETS[0], "due": "2100-12-31"}]}
    assert PlanRequest().load(plan)["targets"][0]["due"].year == 2100


def test_numbers_are_held_to_what_their_consumers_hold():
    assert "incubated_enterprises" in refused(MetricsRequest, {
        "period": "2018H1", "values": {**VALUES, "incubated_enterprises": 10 ** 4000}})["values"]
    assert "jobs_created" in refused(MetricsRequest, {
        "period": "2018H1", "values": {**VALUES, "jobs_created": -1}})["values"]
    for target in ({**TARGETS[0], "value": "1" + "0" * 30}, {**TARGETS[0], "due": "9999-12-31"}):
        assert "targets" in refused(PlanRequest, {"tasks": TASKS, "targets": [target]})
    assert "version" in refused(ApprovalRequest, {"version": 10 ** 30})


def test_every_date_time_and_number_of_every_request_schema_is_bounded():
    """One bounded field type each (Moment, Day, Count or a Range, ExactDecimal with a
    maximum, Money), used by every request."""
    unbounded = []
    for schema in request_schemas():
        for path, field in leaf_fields(schema):
            where = f"{schema.__name__}.{path}"
            if isinstance(field, fields.DateTime) and not isinstance(field, Moment):
                unbounded.append(where)
            elif isinstance(field, fields.Date) and not isinstance(field, Day):
                unbounded.append(where)
            elif isinstance(field, fields.Number) and not _ranged(field):
                unbounded.append(where)
            elif isinstance(field, ExactDecimal) and field.maximum is None:
                unbounded.append(where)
    assert unbounded == []


def _ranged(field) -> bool:
    return any(isinstance(v, validate.Range) and v.min is not None and v.max is not None
               for v in field.validators)
