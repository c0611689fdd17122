"""Which events a subscription's filter lets through, and how long a retry waits."""

from datetime import timedelta
from uuid import uuid4

import pytest

from tests.support.settings import settings_of

from services.notifications.matching import BaseFacts, EventFilter, RetryPolicy, subject_of

SXU = BaseFacts(uuid4(), "山西大学", "university", {"city": "太原市", "county": "小店区"})
XIAOYI = BaseFacts(uuid4(), "孝义市", "regional", {"city": "吕梁市", "county": "孝义市"})
LISHI = BaseFacts(uuid4(), "吕梁市离石区", "regional", {"city": "吕梁市", "county": "离石区"})


def passes(event_filter: EventFilter, base: BaseFacts, event_type="BaseAdjusted") -> bool:
    return event_filter.matches(event_type, base.base_id, base)


def test_an_empty_filter_passes_every_event():
    everything = EventFilter()
    assert passes(everything, SXU)
    assert everything.matches("BatchOpened", None, None)
    assert everything.matches("FundingDisbursed", uuid4(), None)


def test_event_types_let_only_those_types_through():
    funding = EventFilter.from_dict({"event_types": ["FundingAllocated"]})
    assert passes(funding, SXU, "FundingAllocated")
    assert not passes(funding, SXU, "BaseAdjusted")


def test_kinds_let_only_bases_of_those_kinds_through():
    universities = EventFilter.from_dict({"kinds": ["university", "enterprise"]})
    assert passes(universities, SXU)
    assert not passes(universities, XIAOYI)


def test_a_region_is_a_whole_city_or_one_county_of_it():
    lvliang = EventFilter.from_dict({"regions": [{"city": "吕梁市"}]})
    assert passes(lvliang, XIAOYI) and passes(lvliang, LISHI) and not passes(lvliang, SXU)
    xiaoyi = EventFilter.from_dict({"regions": [{"city": "吕梁市", "county": "孝义市"}]})
    assert passes(xiaoyi, XIAOYI) and not passes(xiaoyi, LISHI)
    same_name_elsewhere = EventFilter.from_dict({"regions": [{"city": "太原市", "county": "孝义市"}]})
    assert not passes(same_name_elsewhere, XIAOYI)


def test_named_bases_let_only_those_bases_through():
    one = EventFilter.from_dict({"base_ids": [str(SXU.base_id)]})
    assert passes(one, SXU) and not passes(one, XIAOYI)


def test_all_restrictions_must_hold_together():
    narrow = EventFilter.from_dict({"event_types": ["BaseAdjusted"], "kinds": ["regional"],
                                    "regions": [{"city": "吕梁市"}]})
    assert passes(narrow, XIAOYI)
    assert not passes(narrow, XIAOYI, "PlanFiled")
    assert not passes(narrow, SXU)


def test_a_filter_on_kind_or_region_does_not_pass_a_base_whose_facts_are_unknown():
    by_kind = EventFilter.from_dict({"kinds": ["regional"]})
    assert not by_kind.matches("BaseAdjusted", uuid4(), None)
    by_id = EventFilter.from_dict({"base_ids": [str(SXU.base_id)]})
    assert by_id.matches("BaseAdjusted", SXU.base_id, None)


def test_an_event_about_no_base_passes_a_base_filter_only_when_its_type_is_named():
    lvliang = EventFilter.from_dict({"regions": [{"city": "吕梁市"}]})
    assert not lvliang.matches("BatchOpened", None, None)
    lvliang_and_batches = EventFilter.from_dict({"regions": [{"city": "吕梁市"}],
                                                 "event_types": ["BatchOpened", "BaseAdjusted"]})
    assert lvliang_and_batches.matches("BatchOpened", None, None)
    assert not lvliang_and_batches.matches("BatchClosed", None, None)
    assert not passes(lvliang_and_batches, SXU)


def test_a_filter_reads_back_the_same_from_its_stored_form():
    original = EventFilter.from_dict({"kinds": ["regional", "regional"], "base_ids": [str(SXU.base_id)],
                                      "regions": [{"city": "吕梁市", "county": None}, {"city": "吕梁市"}]})
    assert original.kinds == ("regional",) and original.regions == (("吕梁市", None),)
    assert EventFilter.from_dict(original.as_dict()) == original


def test_an_event_is_about_its_base_else_its_batch_else_nothing():
    base_id, batch_id = uuid4(), uuid4()
    assert subject_of({"base_id": base_id, "batch_id": batch_id}) == ("base", base_id)
    assert subject_of({"batch_id": str(batch_id)}) == ("batch", batch_id)
    assert subject_of({"envelope_id": uuid4()}) is None


def test_backoff_doubles_after_each_failure_up_to_its_cap():
    policy = RetryPolicy(max_attempts=5, backoff=timedelta(seconds=5),
                         backoff_max=timedelta(seconds=30), lease=timedelta(seconds=60))
    assert [policy.delay(n).total_seconds() for n in range(1, 6)] == [5, 10, 20, 30, 30]
    assert policy.delay(500) == timedelta(seconds=30)


def notifications_settings(**values):
    """The ``notifications`` settings of the test environment with ``values`` laid over."""
    return settings_of({"notifications": values}).notifications


def test_an_attempt_lease_shorter_than_a_channel_timeout_is_refused():
    settings = dict(max_attempts=3, backoff_seconds=1, backoff_max_seconds=10, attempt_lease_seconds=5)
    with pytest.raises(ValueError, match="lease"):
        RetryPolicy.from_config(notifications_settings(**settings), deadlines=[10, 2])
    unset = notifications_settings(**{**settings, "attempt_lease_seconds": 0})
    assert RetryPolicy.from_config(unset, [10]).lease == timedelta(seconds=25)


def test_failures_of_our_own_side_wait_at_most_the_infrastructure_retry():
    settings = dict(max_attempts=3, backoff_seconds=5, backoff_max_seconds=3600,
                    attempt_lease_seconds=60, infrastructure_retry_seconds=30)
    assert RetryPolicy.from_config(notifications_settings(**settings), [10]).infrastructure_retry == \
        timedelta(seconds=30)
    policy = RetryPolicy.from_config(notifications_settings(**{**settings, "infrastructure_retry_seconds": 12}), [10])
    assert [policy.infrastructure_delay(n).total_seconds() for n in range(1, 5)] == [5, 10, 12, 12]
    assert policy.delay(4) == timedelta(seconds=40)


def test_the_lease_must_exceed_each_channels_deadline_for_a_whole_attempt():
    """As the sender checks it at start-up: a mail conversation may take the SMTP
    timeout in all, so a lease shorter than that would see a slow attempt as dead."""
    from services.notifications.channels import Channels

    settings = dict(max_attempts=3, backoff_seconds=1, backoff_max_seconds=10,
                    attempt_lease_seconds=20, webhook={"timeout_seconds": 15},
                    smtp={"host": "mail.example.gov.cn", "port": 587, "sender": "noreply@example.gov.cn",
                          "timeout_seconds": 30, "starttls": True})
    deadlines = Channels.from_config(notifications_settings(**settings)).deadlines
    assert sorted(deadlines) == [15, 30]
    with pytest.raises(ValueError, match="deadline"):
        RetryPolicy.from_config(notifications_settings(**settings), deadlines)
    longer = notifications_settings(**{**settings, "attempt_lease_seconds": 31})
    assert RetryPolicy.from_config(longer, deadlines).lease == timedelta(seconds=31)
