"""Where a person means a day, a date is taken: as the start of that day in Beijing, or
its end where the day closes something (services/contracts/fields.py ``Moment``)."""

from datetime import datetime, timedelta, timezone

import pytest
from marshmallow import ValidationError

from services.backbone.eventstore.audit import AuditFilters
from services.evaluation.schemas import OpenBatchRequest
from services.registry.schemas import AsOfQuery, RevocationRequest

BEIJING = timezone(timedelta(hours=8))


def test_a_batch_opens_at_the_start_of_its_first_day_and_closes_at_the_end_of_its_last():
    window = OpenBatchRequest().load({"name": "2026年第一批", "quota": 5,
                                      "opens_at": "2026-12-01", "closes_at": "2026-12-31"})
    assert window["opens_at"] == datetime(2026, 12, 1, tzinfo=BEIJING)
    assert window["opens_at"].isoformat() == "2026-12-01T00:00:00+08:00"
    assert window["closes_at"] == datetime(2027, 1, 1, tzinfo=BEIJING) - timedelta(microseconds=1)


def test_a_time_with_its_offset_is_taken_as_before_and_one_without_is_refused_saying_what_is():
    loaded = OpenBatchRequest().load({"name": "2026年第一批", "quota": 5,
                                      "opens_at": "2026-12-01T09:00:00+08:00",
                                      "closes_at": "2026-12-31T17:00:00Z"})
    assert loaded["closes_at"] == datetime(2026, 12, 31, 17, tzinfo=timezone.utc)
    with pytest.raises(ValidationError) as refused:
        OpenBatchRequest().load({"name": "2026年第一批", "quota": 5,
                                 "opens_at": "2026-12-01T09:00:00", "closes_at": "2026-12-32"})
    assert "2026-12-01T09:00:00+08:00" in refused.value.messages["opens_at"][0]
    assert refused.value.messages["closes_at"] == ["Not a valid date."]


def test_status_as_of_a_day_is_the_status_at_the_end_of_that_day():
    assert AsOfQuery().load({"as_of": "2018-06-30"})["as_of"].isoformat() == \
        "2018-06-30T23:59:59.999999+08:00"


def test_an_audit_between_two_days_covers_both_whole_days():
    window = AuditFilters().load({"since": "2017-09-07", "until": "2017-09-07"})
    assert window["since"].isoformat() == "2017-09-07T00:00:00+08:00"
    assert window["until"].isoformat() == "2017-09-07T23:59:59.999999+08:00"


def test_a_tokens_expiry_is_a_moment_not_a_day():
    with pytest.raises(ValidationError) as refused:
        RevocationRequest().load({"jti": "9b1f0c2e-4d3a-5f6b-8c7d-0e1f2a3b4c5d",
                                  "expires_at": "2026-12-01", "reason": "lost"})
    assert "expires_at" in refused.value.messages
