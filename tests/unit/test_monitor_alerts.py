"""The thresholds of ``ops.thresholds``: what sc queues alerts on, and what it lets be."""

from services.backbone.ops.monitor import QueueFigures, alerts_for, complete_unsampled, thresholds
from tests.support.settings import settings_of

THRESHOLDS = {**thresholds(settings_of({})), "queue_depth": 10, "consumer_lag": 100}


def inbox(messages: int, consumers: int = 1) -> QueueFigures:
    return QueueFigures(name="sc.funding.from.registry", kind="inbox", messages=messages,
                        ready=messages, unacked=0, consumers=consumers)


def relay(published: int, **changes) -> dict:
    return {"running": True, "lag": 0, "published": published, "last_error": None,
            "failing_seconds": 0.0, **changes}


def test_an_inbox_deeper_than_queue_depth_alerts_and_one_at_it_does_not():
    assert alerts_for([inbox(11)], {}, THRESHOLDS) == ["sc.funding.from.registry: 11 messages waiting"]
    assert alerts_for([inbox(10)], {}, THRESHOLDS) == []


def test_a_dead_letter_queue_is_judged_by_dead_letters_not_by_queue_depth():
    dlq = QueueFigures(name="sc.funding.from.registry.dlq", kind="dead_letter", messages=1,
                       ready=1, unacked=0, consumers=0)
    assert alerts_for([dlq], {}, THRESHOLDS) == ["sc.funding.from.registry.dlq: 1 dead letter(s)"]
    assert alerts_for([dlq], {}, {**THRESHOLDS, "dead_letters": 1}) == []


def test_consumer_lag_is_measured_against_what_the_source_has_published():
    """The consumer's own figure (what it has seen) misses what never reached it; the
    source's relay says what was published."""
    services = {"registry": {"relay": relay(published=250), "consumers": {}},
                "funding": {"relay": relay(published=0),
                            "consumers": {"registry": {"last_position": 100, "lag": 0}}}}
    assert alerts_for([], services, THRESHOLDS) == ["funding: 150 positions of registry not applied yet"]
    assert services["funding"]["consumers"]["registry"]["lag"] == 150

    services["funding"]["consumers"]["registry"] = {"last_position": 150, "lag": 0}
    assert alerts_for([], services, THRESHOLDS) == []  # 100 behind: at the threshold, not past it


def test_a_source_that_did_not_answer_leaves_the_consumers_own_lag():
    services = {"registry": {"error": "Timeout"},
                "funding": {"relay": relay(published=0),
                            "consumers": {"registry": {"last_position": 10, "lag": 101}}}}
    assert alerts_for([], services, THRESHOLDS) == [
        "registry: not answering (Timeout)", "funding: 101 positions of registry not applied yet"]


def test_a_relay_failing_longer_than_relay_failing_seconds_alerts():
    services = {"registry": {"relay": relay(published=5, failing_seconds=31.0, last_error="ConnectionError: x"),
                             "consumers": {}}}
    assert alerts_for([], services, THRESHOLDS) == [
        "registry: relay failing for 31s, nothing published (ConnectionError: x)"]
    services["registry"]["relay"]["failing_seconds"] = 29.0
    assert alerts_for([], services, THRESHOLDS) == []


def test_a_queue_the_management_api_has_not_sampled_yet_is_counted_not_shown_empty():
    """A dead-letter queue declared a moment ago is listed by the management API without
    depth or consumers; shown as 0 it would hide a letter from the alert."""
    sampled = inbox(3)
    unsampled = QueueFigures(name="sc.funding.from.registry.dlq", kind="dead_letter", messages=None,
                             ready=None, unacked=None, consumers=None)
    gone = QueueFigures(name="sc.funding.from.evaluation.dlq", kind="dead_letter", messages=None,
                        ready=None, unacked=None, consumers=None)
    counted = QueueFigures(name=unsampled.name, kind="dead_letter", messages=1, ready=1,
                           unacked=None, consumers=0)
    completed = complete_unsampled([sampled, unsampled, gone], [counted])
    assert completed == [sampled, counted]
    assert alerts_for(completed, {}, THRESHOLDS) == ["sc.funding.from.registry.dlq: 1 dead letter(s)"]
