"""Ops: readiness, metrics, queue monitoring with thresholds (management API and the
AMQP fallback), and dead letters replayed or discarded with an audit trail."""

import csv
import io
import json
import subprocess
import sys
from uuid import UUID, uuid4

import psycopg
import pytest
import requests

from tests.support.settings import settings_of
from services.backbone.ops import monitor
from services.backbone.ops.endpoints import broker_answering
from services.backbone.kernel.errors import Unavailable
from services.backbone.messaging.dead_letter_queues import list_dead_letters
from services.backbone.eventstore.audit import audit_entries, to_csv
from services.backbone.config import PROJECT_ROOT, merge
from services.backbone.kernel.context import Actor
from services.backbone.eventstore.parked_events import DeadLetterRecord
from services.backbone.messaging.topology import dead_letter_queue_name, inbox_queue_name
from services.registry.domain import Base
from tests.integration.conftest import open_batch
from tests.support.upstream import base_declared
from tests.support.broker import UpstreamLog, queue_messages
from tests.support.fixtures import declaration
from tests.support.platform import wait_until

DLQ = dead_letter_queue_name(inbox_queue_name("sc", "registry", "evaluation"))


def adjustment(base_id) -> dict:
    return {"base_id": str(base_id), "from_status": "declared", "to_status": "certified",
            "reason": "评选认定", "basis": "selection"}


def park_an_adjustment_for_a_base_not_yet_declared(platform, evaluation_log):
    """BaseAdjusted for a base the registry does not know yet: parked after N tries."""
    batch_id = open_batch(platform, evaluation_log)
    base_id = Base.create_id("山西大学", UUID(batch_id))
    event = evaluation_log.emit("BaseAdjusted", adjustment(base_id))
    wait_until(lambda: platform.app("registry").parked("evaluation", event["position"]),
               message="the adjustment to be parked")
    return batch_id, base_id, event


def audited_reasons(app, event_type: str) -> list[str]:
    """The reason column of the audit trail's CSV for one type of event."""
    entries = audit_entries(app, {"event_type": event_type}, Actor(id=uuid4(), role="ops"))
    rows = csv.DictReader(io.StringIO(to_csv(entries).lstrip("\ufeff")))
    return [row["reason"] for row in rows]


def test_ready_and_metrics_report_the_service(platform, evaluation_log):
    platform.start("registry")
    batch_id = open_batch(platform, evaluation_log)
    requests.post(platform.url("registry", "/bases"), json=declaration(batch_id),
                  headers=platform.applicant())
    ready = requests.get(platform.url("registry", "/ready"))
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"store": "ok", "broker": "ok", "relay": "ok"}

    def published():
        text = requests.get(platform.url("registry", "/metrics"), headers=platform.headers("ops")).text
        return 'sc_events_published_total{type="BaseDeclared"} 1.0' in text and text
    text = wait_until(published, message="the publication to be counted")
    assert 'sc_events_consumed_total{outcome="applied",source="evaluation"} 1.0' in text
    assert "sc_events_appended_total 3.0" in text  # the batch record, the unit and its base
    assert 'sc_http_request_seconds_count{method="POST",route="/bases",status="201"} 1.0' in text


@pytest.mark.postgres
def test_a_store_outage_is_not_ready_and_metrics_still_answer(pg_platform, postgres_db):
    """The service's database refuses every connection (ours only: the test's database
    no longer allows connections, and those it had are ended)."""
    platform = pg_platform.start("registry")
    assert requests.get(platform.url("registry", "/ready")).status_code == 200
    admin = psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True)
    try:
        admin.execute(f'ALTER DATABASE "{postgres_db}" ALLOW_CONNECTIONS false')
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                      (postgres_db,))
        # Answered before a monitor gives up (Prometheus waits 10 s), though the store's
        # own waits and retries last about 50 s.
        ready = requests.get(platform.url("registry", "/ready"), timeout=30)
        assert ready.status_code == 503 and ready.elapsed.total_seconds() < 10
        assert ready.json()["checks"]["store"] == "failing"  # public: the why is in the log
        assert ready.json()["checks"]["broker"] == "ok"

        scraped = requests.get(platform.url("registry", "/metrics"), headers=platform.headers("ops"), timeout=30)
        assert scraped.status_code == 200, scraped.text
        assert scraped.elapsed.total_seconds() < 10
        assert "sc_relay_lag NaN" in scraped.text and "sc_log_head NaN" in scraped.text
        assert 'sc_metrics_scrape_errors_total{gauge="relay_lag"} 1.0' in scraped.text
        assert 'sc_metrics_scrape_errors_total{gauge="log_head"} 1.0' in scraped.text
        assert "sc_http_request_seconds_count" in scraped.text  # the rest is all there
    finally:
        admin.execute(f'ALTER DATABASE "{postgres_db}" ALLOW_CONNECTIONS true')
        admin.close()
    assert "sc_log_head 0.0" in requests.get(platform.url("registry", "/metrics"), headers=platform.headers("ops")).text


def test_a_relay_failing_past_its_threshold_is_not_ready_and_alerts(platform, evaluation_log):
    """The relay keeps running while every publication fails (the broker refuses it):
    within ops.thresholds.relay_failing_seconds that is a broker restarting, past it
    nothing reaches the other services, and /ready and sc queues say so."""
    platform.config["ops"]["thresholds"]["relay_failing_seconds"] = 3
    platform.start("registry")
    batch_id = open_batch(platform, evaluation_log)
    relay = platform.app("registry").relay

    def refuse(messages):
        raise ConnectionError("the broker refused the publication (test)")

    relay.publisher.publish_all = refuse
    requests.post(platform.url("registry", "/bases"), json=declaration(batch_id),
                  headers=platform.applicant()).raise_for_status()
    wait_until(lambda: relay.last_error, message="the relay to fail")
    early = requests.get(platform.url("registry", "/ready"))
    assert early.status_code == 200 and relay.running, "a short failure is retried, not alarmed"

    def not_ready():
        answer = requests.get(platform.url("registry", "/ready"))
        return answer.status_code == 503 and answer.json()
    checks = wait_until(not_ready, timeout=15, interval=0.2, message="/ready to be 503")["checks"]
    assert checks["store"] == checks["broker"] == "ok"
    assert checks["relay"] == "failing"  # public: why is for ops, below and in the log

    env = platform.environment({"SC_BROKER__MANAGEMENT_URL": "http://127.0.0.1:9",
                                "SC_OPS__THRESHOLDS__RELAY_FAILING_SECONDS": "3"})
    queues = subprocess.run([sys.executable, "-m", "services.cli", "queues", "--json"], cwd=PROJECT_ROOT,
                            env=env, capture_output=True, text=True, timeout=60)
    assert queues.returncode == 1, queues.stderr
    report = json.loads(queues.stdout)
    assert report["services"]["registry"]["relay"]["failing_seconds"] > 3
    assert any(a.startswith("registry: relay failing for") and "refused the publication" in a
               for a in report["alerts"]), report["alerts"]

    del relay.publisher.publish_all  # the broker takes publications again
    relay.wake()
    wait_until(lambda: requests.get(platform.url("registry", "/ready")).status_code == 200,
               timeout=40, message="ready again once the relay publishes")
    assert relay.failing_for() == 0 and relay.last_error is None


def test_queue_report_alerts_on_dead_letters_with_and_without_management(platform, evaluation_log):
    platform.start("registry")
    park_an_adjustment_for_a_base_not_yet_declared(platform, evaluation_log)
    wait_until(lambda: queue_messages(platform.config, DLQ), message="the dead letter")

    def settled():  # the management API refreshes its figures every few seconds
        report = monitor.platform_report(settings_of(platform.config), platform.headers("ops")["Authorization"])
        figures = {q["name"]: q for q in report["queues"]}
        inbox = figures.get(inbox_queue_name("sc", "registry", "evaluation"), {})
        dlq = figures.get(DLQ, {})
        return inbox.get("consumers") == 1 and dlq.get("messages") == 1 and report

    report = wait_until(settled, timeout=20, interval=0.5, message="management figures")
    assert report["figures_from"] == "management"
    assert any(DLQ in alert for alert in report["alerts"])
    assert report["services"]["registry"]["relay"]["running"] is True
    assert any("evaluation: not answering" in alert for alert in report["alerts"])

    without_management = merge(platform.config, {"broker": {"management_url": "http://127.0.0.1:9"}})
    fallback = monitor.platform_report(settings_of(without_management), "", include_services=False)
    assert fallback["figures_from"] == "amqp"
    assert {q["name"]: q for q in fallback["queues"]}[DLQ]["messages"] == 1


def test_the_cli_exits_non_zero_when_a_threshold_is_crossed(platform, evaluation_log):
    platform.start("registry")
    # AMQP figures are immediate (the management API's lag a few seconds; tested above).
    env = platform.environment({"SC_BROKER__MANAGEMENT_URL": "http://127.0.0.1:9"})
    command = [sys.executable, "-m", "services.cli", "queues", "--json", "--no-services"]
    clean = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert clean.returncode == 0, clean.stderr
    assert json.loads(clean.stdout)["alerts"] == []

    park_an_adjustment_for_a_base_not_yet_declared(platform, evaluation_log)
    wait_until(lambda: queue_messages(platform.config, DLQ))
    alerting = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert alerting.returncode == 1
    assert any(DLQ in a for a in json.loads(alerting.stdout)["alerts"])

    tolerant = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60,
                              env={**env, "SC_OPS__THRESHOLDS__DEAD_LETTERS": "5"})
    assert not any(DLQ in a for a in json.loads(tolerant.stdout)["alerts"])
    # evaluation's events wait for funding and notifications, which are not running here
    assert any("no consumer" in a for a in json.loads(tolerant.stdout)["alerts"])


def test_a_replayed_dead_letter_takes_effect_once_and_is_audited(platform, evaluation_log):
    platform.start("registry")
    batch_id, base_id, event = park_an_adjustment_for_a_base_not_yet_declared(platform, evaluation_log)
    requests.post(platform.url("registry", "/bases"), json=declaration(batch_id),
                  headers=platform.applicant())  # the cause is gone now
    letters = wait_until(lambda: requests.get(platform.url("registry", "/ops/dead-letters"),
                                              headers=platform.headers("ops")).json()["dead_letters"])
    assert letters[0]["message_id"] == event["event_id"] and "NotFound" in letters[0]["error"]

    assert requests.post(platform.url("registry", "/ops/dead-letters/replay"),
                         json={"queue": DLQ, "message_id": event["event_id"]},
                         headers=platform.headers("evaluator")).status_code == 403
    ops = platform.headers("ops", name="值班运维")
    replayed = requests.post(platform.url("registry", "/ops/dead-letters/replay"),
                             json={"queue": DLQ, "message_id": event["event_id"],
                                   "reason": "基地已申报，重放认定"}, headers=ops)
    assert replayed.status_code == 200, replayed.text
    registry = platform.app("registry")
    wait_until(lambda: registry.get_base(base_id).status == "certified", message="the replay to apply")
    assert registry.parked("evaluation", event["position"]).state == "replayed"
    assert queue_messages(platform.config, DLQ) == []
    record = registry.repository.get(DeadLetterRecord.create_id(DLQ, event["event_id"]))
    assert record.actions == ["replayed"]
    assert [e.ctx.name for e in registry.history(record.id)] == ["值班运维", "值班运维"]
    assert registry.history(record.id)[-1].reason == "基地已申报，重放认定"
    assert audited_reasons(registry, "DeadLetterRecord.Replayed") == ["基地已申报，重放认定"]

    evaluation_log.publish(event)  # the original arrives again: still once
    marker = evaluation_log.emit("BatchClosed", {"batch_id": batch_id})
    wait_until(lambda: registry.last_position("evaluation") >= marker["position"])
    assert len(registry.get_base(base_id).adjustments) == 1


def test_the_cli_replays_every_dead_letter_with_progress_each_audited(platform, evaluation_log):
    platform.start("registry")
    registry = platform.app("registry")
    batch_id = open_batch(platform, evaluation_log)
    names = ["山西大学", "太原理工大学", "中北大学"]
    base_ids = [Base.create_id(name, UUID(batch_id)) for name in names]
    events = [evaluation_log.emit("BaseAdjusted", adjustment(base_id)) for base_id in base_ids]
    wait_until(lambda: all(registry.parked("evaluation", e["position"]) for e in events),
               message="three adjustments parked")
    for name in names:  # the cause is gone now
        requests.post(platform.url("registry", "/bases"), json=declaration(batch_id, name=name),
                      headers=platform.applicant(name)).raise_for_status()
    wait_until(lambda: len(queue_messages(platform.config, DLQ)) == 3)

    command = [sys.executable, "-m", "services.cli", "dlq", "replay", "--service", "registry",
               "--all", "--actor", "值班运维", "--reason", "主体已申报"]
    replayed = subprocess.run(command, cwd=PROJECT_ROOT, env=platform.environment(),
                              capture_output=True, text=True, timeout=120)
    assert replayed.returncode == 0, replayed.stderr
    assert "replayed 3 of 3 dead letters of registry" in replayed.stdout
    assert "replaying the dead letters of registry: 3/3 100.0%" in replayed.stderr

    wait_until(lambda: all(registry.get_base(b).status == "certified" for b in base_ids),
               message="every replay to apply")
    assert queue_messages(platform.config, DLQ) == []
    for event in events:
        record = registry.repository.get(DeadLetterRecord.create_id(DLQ, event["event_id"]))
        assert record.actions == ["replayed"]
        assert registry.history(record.id)[-1].reason == "主体已申报"
        assert registry.parked("evaluation", event["position"]).state == "replayed"
    assert audited_reasons(registry, "DeadLetterRecord.Replayed") == ["主体已申报"] * 3
    again = subprocess.run(command, cwd=PROJECT_ROOT, env=platform.environment(),
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "replayed 0 of 0" in again.stdout
    as_json = subprocess.run(command + ["--json"], cwd=PROJECT_ROOT, env=platform.environment(),
                             capture_output=True, text=True, timeout=120)
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout) == {"service": "registry", "dead_letters": 0, "replayed": 0,
                                          "not_replayed": []}


def test_a_discarded_dead_letter_is_gone_and_the_parked_event_marked(platform, evaluation_log):
    platform.start("registry")
    _, _, event = park_an_adjustment_for_a_base_not_yet_declared(platform, evaluation_log)
    wait_until(lambda: queue_messages(platform.config, DLQ))
    discarded = requests.post(platform.url("registry", "/ops/dead-letters/discard"),
                              json={"queue": DLQ, "message_id": event["event_id"], "reason": "误发"},
                              headers=platform.headers("ops"))
    assert discarded.status_code == 200, discarded.text
    assert queue_messages(platform.config, DLQ) == []
    registry = platform.app("registry")
    assert registry.parked("evaluation", event["position"]).state == "discarded"
    assert audited_reasons(registry, "DeadLetterRecord.Discarded") == ["误发"]
    assert audited_reasons(registry, "ParkedEvent.Discarded") == ["误发"]
    missing = requests.post(platform.url("registry", "/ops/dead-letters/discard"),
                            json={"queue": DLQ, "message_id": event["event_id"]},
                            headers=platform.headers("ops"))
    assert missing.status_code == 404


def test_the_cli_discards_a_dead_letter_and_says_so_in_json(platform, evaluation_log):
    platform.start("registry")
    _, _, event = park_an_adjustment_for_a_base_not_yet_declared(platform, evaluation_log)
    wait_until(lambda: queue_messages(platform.config, DLQ))
    command = [sys.executable, "-m", "services.cli", "dlq", "discard", "--service", "registry",
               "--queue", DLQ, "--message-id", event["event_id"], "--reason", "误发", "--json"]
    discarded = subprocess.run(command, cwd=PROJECT_ROOT, env=platform.environment(),
                               capture_output=True, text=True, timeout=120)
    assert discarded.returncode == 0, discarded.stderr
    answer = json.loads(discarded.stdout)
    assert (answer["action"], answer["message_id"], answer["queue"]) == ("discarded", event["event_id"], DLQ)
    assert queue_messages(platform.config, DLQ) == []


def test_ops_queues_lists_every_platform_queue_with_the_relay_and_consumer_lags(platform, evaluation_log):
    from services.backbone.messaging.topology import all_queues

    platform.start("registry")
    batch_id = open_batch(platform, evaluation_log)
    requests.post(platform.url("registry", "/bases"), json=declaration(batch_id),
                  headers=platform.applicant()).raise_for_status()
    registry = platform.app("registry")
    wait_until(lambda: registry.relay.status()["lag"] == 0, message="the declaration published")

    def settled():  # the management API refreshes its figures every few seconds
        answer = requests.get(platform.url("registry", "/ops/queues"), headers=platform.headers("ops"))
        assert answer.status_code == 200, answer.text
        report = answer.json()
        figures = {q["name"]: q for q in report["queues"]}
        waiting = figures.get(inbox_queue_name("sc", "funding", "registry"), {}).get("messages")
        consuming = figures.get(inbox_queue_name("sc", "registry", "evaluation"), {}).get("consumers")
        return waiting == 1 and consuming == 1 and report

    report = wait_until(settled, timeout=20, interval=0.5, message="the management figures")
    assert report["figures_from"] == "management"
    figures = {q["name"]: q for q in report["queues"]}
    for queue in all_queues("sc", platform.config["consumer"]["delivery_limit"]):
        listed = figures[queue.name]
        assert listed["kind"] == ("dead_letter" if queue.name.endswith(".dlq") else "inbox")
        assert isinstance(listed["messages"], int) and isinstance(listed["consumers"], int), listed
    assert figures[DLQ]["messages"] == 0 and figures["rpc-registry"]["kind"] == "rpc"
    # the declaration waits for funding and notifications, which are not running
    assert figures[inbox_queue_name("sc", "notifications", "registry")]["consumers"] == 0

    relay = report["services"]["registry"]["relay"]
    assert (relay["lag"], relay["running"], relay["last_error"]) == (0, True, None)
    assert relay["published"] == registry.head() and relay["scanned"] == registry.head()
    consumer = report["services"]["registry"]["consumers"]["evaluation"]
    assert (consumer["lag"], consumer["last_position"]) == (0, evaluation_log.position)
    assert sorted(s for s, status in report["services"].items() if "error" in status) == [
        "evaluation", "funding", "notifications"]
    assert report["thresholds"]["queue_depth"] == 1000


def test_sc_queues_alerts_on_a_deep_queue_past_its_threshold(platform, evaluation_log):
    platform.start("registry")
    batch_id = open_batch(platform, evaluation_log)
    for name in ("山西大学", "太原理工大学"):
        requests.post(platform.url("registry", "/bases"), json=declaration(batch_id, name=name),
                      headers=platform.applicant(name)).raise_for_status()
    waiting = inbox_queue_name("sc", "funding", "registry")  # funding is not running
    wait_until(lambda: len(queue_messages(platform.config, waiting)) == 2)
    command = [sys.executable, "-m", "services.cli", "queues", "--json", "--no-services"]

    def alerts(depth: str) -> list[str]:
        env = platform.environment({"SC_BROKER__MANAGEMENT_URL": "http://127.0.0.1:9",
                                    "SC_OPS__THRESHOLDS__QUEUE_DEPTH": depth})
        result = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 1, result.stderr  # "no consumer" alerts in both runs
        return json.loads(result.stdout)["alerts"]

    assert f"{waiting}: 2 messages waiting" in alerts("1")
    assert f"{waiting}: 2 messages waiting" not in alerts("2")


def test_sc_queues_exits_2_when_the_broker_cannot_be_asked(platform, broker_refusal):
    env = platform.environment({**broker_refusal, "SC_BROKER__MANAGEMENT_URL": "http://127.0.0.1:9"})
    result = subprocess.run([sys.executable, "-m", "services.cli", "queues"], cwd=PROJECT_ROOT,
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "cannot reach the broker" in result.stderr and "Traceback" not in result.stderr


@pytest.fixture(params=["down", "login refused"])
def broker_refusal(request, rabbit_config):
    if request.param == "down":
        return {"SC_BROKER__URL": "amqp://guest:guest@127.0.0.1:1/"}
    return {"SC_BROKER__URL": f"amqp://guest:wrong@127.0.0.1:5672/{rabbit_config['vhost']}"}


def test_dead_letters_show_contacts_only_to_readers_the_privacy_rules_show_them_to(platform):
    platform.start("evaluation")
    registry_log = UpstreamLog(platform.config, "registry")
    registry_log.emit("BaseDeclared", base_declared(), role="applicant")  # its batch unknown here: parked
    invalid = registry_log.envelope("BaseDeclared", {**base_declared(), "colour": "红"}, role="applicant")
    registry_log.publish(invalid)  # not a valid event: dead-lettered as it came
    url = platform.url("evaluation", "/ops/dead-letters")
    letters = wait_until(lambda: len(answer := requests.get(url, headers=platform.headers("ops")).json()
                                     ["dead_letters"]) == 2 and answer, timeout=30, message="two dead letters")
    registry_log.close()

    assert "王老师" not in json.dumps(letters, ensure_ascii=False) and "0351-7010000" not in json.dumps(letters)
    valid, not_an_event = sorted(letters, key=lambda letter: letter["body"] is None)
    shown = json.loads(valid["body"])
    assert shown["payload"]["contacts"] is None and shown["payload"]["name"] == "山西大学"
    assert valid["withheld"] == shown["withheld"] == ["payload.contacts"]
    assert not_an_event["body"] is None and not_an_event["body_withheld"] is True
    assert not_an_event["body_bytes"] == len(json.dumps(invalid, ensure_ascii=False).encode())
    for reader in ("drc", "service"):  # who may see every base's contacts sees both whole
        whole = requests.get(url, headers=platform.headers(reader)).json()["dead_letters"]
        assert all("王老师" in letter["body"] for letter in whole), reader


def test_a_broker_that_refuses_the_connection_is_a_503_to_retry_not_a_500():
    with pytest.raises(Unavailable) as refused:
        with broker_answering():
            list_dead_letters("amqp://guest:guest@127.0.0.1:1//", "nowhere.dead-letter")
    assert refused.value.status == 503 and "broker does not answer" in str(refused.value)
