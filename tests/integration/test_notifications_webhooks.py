"""Webhooks against a real HTTP receiver: signed, retried with backoff, failed after N,
re-sent by ops, and in order per base."""

import hashlib
import hmac
import time

import pytest
import requests

from services.notifications.destinations import Destinations
from tests.support.upstream import adjusted, base_declared
from tests.support.receivers import WebhookReceiver, dispatch_to, serve_http
from tests.support.broker import UpstreamLog
from tests.support.platform import wait_until


SECRET = "kjt-shared-secret-0001"


@pytest.fixture
def receiver():
    receiver = WebhookReceiver(secret=SECRET)  # refuses (401) what is not signed with it
    yield receiver
    receiver.close()


@pytest.fixture
def upstream(platform):
    logs = {source: UpstreamLog(platform.config, source) for source in ("registry", "evaluation", "funding")}
    yield logs
    for log in logs.values():
        log.close()


def subscribe(platform, body, role="department", **scope):
    response = requests.post(platform.url("notifications", "/subscriptions"), json=body,
                             headers=platform.headers(role, **scope))
    assert response.status_code == 201, response.text
    return response.json()


def test_a_webhook_is_signed_over_timestamp_and_exact_body(platform, receiver, upstream):
    platform.start("notifications")
    secret = SECRET
    subscription = subscribe(platform, {"channel": {"kind": "webhook", "url": receiver.url(), "secret": secret}})
    declared = upstream["registry"].emit("BaseDeclared", base_declared(), role="applicant")
    wait_until(lambda: receiver.requests, message="the webhook")

    request = receiver.requests[0]
    headers = request["headers"]
    timestamp = headers["X-SC-Timestamp"]
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + request["body"], hashlib.sha256).hexdigest()
    assert headers["X-SC-Signature"] == f"sha256={expected}"
    assert abs(int(timestamp) - time.time()) < 60
    assert headers["X-SC-Event-Type"] == "BaseDeclared"
    body = receiver.bodies()[0]
    assert headers["X-SC-Delivery"] == body["delivery_id"]
    assert body["subscription_id"] == subscription["subscription_id"]
    assert body["event"]["event_id"] == declared["event_id"]
    assert body["message"].startswith("山西大学 已申报省级双创示范基地")


def delivery(platform, delivery_id, role="ops"):
    response = requests.get(platform.url("notifications", f"/deliveries/{delivery_id}"),
                            headers=platform.headers(role))
    assert response.status_code == 200, response.text
    return response.json()


def webhook(receiver, secret: str = SECRET) -> dict:
    return {"channel": {"kind": "webhook", "url": receiver.url(), "secret": secret}}


def test_a_failing_receiver_is_retried_with_backoff_until_it_accepts(platform, receiver, upstream):
    platform.start("notifications")
    subscribe(platform, webhook(receiver))
    event = upstream["registry"].envelope("BaseDeclared", base_declared())
    receiver.answer(event["event_id"], 500, 503)
    upstream["registry"].publish(event)
    wait_until(lambda: receiver.accepted(), message="the third attempt to be accepted")

    requests_made = receiver.about(event["event_id"])
    assert [r["signature_ok"] for r in requests_made] == [True] * 3, "every attempt is signed"
    assert [r["status"] for r in requests_made] == [500, 503, 200]
    assert [r["headers"]["X-SC-Attempt"] for r in requests_made] == ["1", "2", "3"]
    assert len({r["headers"]["X-SC-Delivery"] for r in requests_made}) == 1
    assert len({r["body"] for r in requests_made}) == 1, "every attempt sends the same bytes"

    delivery_id = requests_made[0]["headers"]["X-SC-Delivery"]
    shown = wait_until(lambda: (d := delivery(platform, delivery_id))["status"] == "delivered" and d)
    attempts = shown["attempts"]
    assert [a["outcome"] for a in attempts] == ["failed", "failed", "delivered"]
    assert attempts[0]["error"].startswith("HTTP 500")
    backoff = platform.config["notifications"]["backoff_seconds"]
    first_wait = (_time(attempts[0]["retry_at"]) - _time(attempts[0]["finished_at"]))
    second_wait = (_time(attempts[1]["retry_at"]) - _time(attempts[1]["finished_at"]))
    assert first_wait == pytest.approx(backoff, abs=0.01)
    assert second_wait == pytest.approx(2 * backoff, abs=0.01)
    for earlier, later in zip(attempts, attempts[1:]):
        assert _time(later["started_at"]) >= _time(earlier["retry_at"]), "not tried before its time"
    arrived = [r["received_at"] for r in requests_made]
    assert arrived[1] - arrived[0] >= backoff and arrived[2] - arrived[1] >= 2 * backoff


def _time(text):
    from datetime import datetime

    return datetime.fromisoformat(text).timestamp()


def test_after_n_failures_the_delivery_is_failed_and_ops_can_resend_it(platform, receiver, upstream):
    platform.start("notifications")
    subscribe(platform, webhook(receiver))
    max_attempts = platform.config["notifications"]["max_attempts"]
    event = upstream["registry"].envelope("BaseDeclared", base_declared())
    receiver.answer(event["event_id"], *[500] * max_attempts)
    upstream["registry"].publish(event)

    failed_list = platform.url("notifications", "/deliveries?status=failed")
    failed = wait_until(lambda: requests.get(failed_list, headers=platform.headers("ops")).json()["deliveries"],
                        message="the delivery to fail")
    assert len(receiver.about(event["event_id"])) == max_attempts
    assert failed[0]["attempts"] == max_attempts and failed[0]["last_error"].startswith("HTTP 500")

    resend = platform.url("notifications", f"/deliveries/{failed[0]['delivery_id']}/resend")
    assert requests.post(resend, headers=platform.headers("department")).status_code == 403
    response = requests.post(resend, headers=platform.headers("ops"))
    assert response.status_code == 202, response.text
    wait_until(lambda: receiver.accepted(), message="the re-sent delivery")
    assert receiver.about(event["event_id"])[-1]["headers"]["X-SC-Delivery"] == failed[0]["delivery_id"]
    shown = wait_until(lambda: (d := delivery(platform, failed[0]["delivery_id"]))["status"] == "delivered" and d)
    assert len(shown["attempts"]) == max_attempts + 1


def test_the_test_receiver_refuses_a_webhook_signed_with_another_secret(platform, receiver, upstream):
    """The receiver's own check can fail: what every other test's passing attempts
    show is therefore that each attempt was signed with the subscription's secret."""
    platform.start("notifications")
    subscribe(platform, webhook(receiver, secret="not-the-receivers-secret"))
    event = upstream["registry"].emit("BaseDeclared", base_declared(), role="applicant")
    failed_list = platform.url("notifications", "/deliveries?status=failed")
    failed = wait_until(lambda: requests.get(failed_list, headers=platform.headers("ops")).json()["deliveries"],
                        message="the delivery to fail")
    assert failed[0]["last_error"].startswith("HTTP 401")
    assert [r["signature_ok"] for r in receiver.about(event["event_id"])] == \
        [False] * platform.config["notifications"]["max_attempts"]


def test_a_later_event_about_a_base_is_not_attempted_before_the_earlier_one_is_delivered(
        platform, receiver, upstream):
    platform.start("notifications")
    subscribe(platform, webhook(receiver))
    declared = upstream["registry"].envelope("BaseDeclared", base_declared())
    base_id = declared["payload"]["base_id"]
    receiver.answer(declared["event_id"], 500, 500)
    upstream["registry"].publish(declared)
    certified = upstream["evaluation"].emit("BaseAdjusted", adjusted(base_id))
    warned = upstream["evaluation"].emit("BaseAdjusted", adjusted(base_id, "warned", "certified"))
    other = upstream["registry"].emit("BaseDeclared", base_declared())
    wait_until(lambda: len(receiver.accepted()) == 4, message="all four events")

    about_base = [r for r in receiver.requests if r["headers"]["X-SC-Event-Id"] != other["event_id"]]
    assert [(r["headers"]["X-SC-Event-Id"], r["status"]) for r in about_base] == [
        (declared["event_id"], 500), (declared["event_id"], 500), (declared["event_id"], 200),
        (certified["event_id"], 200), (warned["event_id"], 200)]


def test_a_receiver_that_does_not_answer_within_the_timeout_has_failed_that_attempt(
        platform, receiver, upstream):
    platform.start("notifications")
    subscribe(platform, webhook(receiver))
    timeout = platform.config["notifications"]["webhook"]["timeout_seconds"]
    event = upstream["registry"].envelope("BaseDeclared", base_declared())
    receiver.answer(event["event_id"], timeout + 0.5)
    upstream["registry"].publish(event)
    wait_until(lambda: len(receiver.about(event["event_id"])) == 2, message="the retry")

    delivery_id = receiver.requests[0]["headers"]["X-SC-Delivery"]
    shown = wait_until(lambda: (d := delivery(platform, delivery_id))["status"] == "delivered" and d)
    assert [a["outcome"] for a in shown["attempts"]] == ["failed", "delivered"]
    assert shown["attempts"][0]["error"] == f"No answer within {timeout:g}s."


def test_a_cookie_one_receiver_sets_is_never_sent_with_a_later_webhook():
    from http.server import BaseHTTPRequestHandler

    from services.notifications.channels import WebhookChannel

    cookies = []

    class SetsCookies(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keeps the connection, which the channel reuses

        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            cookies.append(self.headers.get("Cookie"))
            self.send_response(200)
            self.send_header("Set-Cookie", "session=secret-of-the-first-receiver; Path=/")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = serve_http(SetsCookies)
    channel = WebhookChannel(timeout=2, destinations=Destinations(private_hosts=["127.0.0.1"]))
    for path in ("/first-subscription", "/second-subscription"):
        channel.send(dispatch_to(f"http://127.0.0.1:{server.server_address[1]}{path}"))
    server.shutdown()
    assert cookies == [None, None]


def test_a_receivers_answer_is_read_only_as_far_as_the_delivery_log_keeps_it():
    """A subscriber answering with gigabytes (within the timeout, on every attempt in
    flight) must not make the platform hold them: the channel reads what it keeps,
    then closes the connection, and the receiver can send no more."""
    from http.server import BaseHTTPRequestHandler
    from threading import Event

    from services.notifications.channels import DeliveryFailed, WebhookChannel

    chunk, chunks, written, finished = b"x" * 65536, 4096, [], Event()  # 256 MiB offered

    class Floods(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(500)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                for n in range(chunks):
                    piece = (b"receiver is down: " if n == 0 else b"") + chunk
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                    written.append(len(piece))
                self.wfile.write(b"0\r\n\r\n")
            except OSError:  # the platform hung up: what it was meant to do
                pass
            finally:
                finished.set()

        def log_message(self, *args):
            pass

    server = serve_http(Floods)
    channel = WebhookChannel(timeout=20, destinations=Destinations(private_hosts=["127.0.0.1"]))
    started = time.monotonic()
    with pytest.raises(DeliveryFailed) as failed:
        channel.send(dispatch_to(f"http://127.0.0.1:{server.server_address[1]}/hook"))
    elapsed = time.monotonic() - started
    assert finished.wait(20), "the receiver is still sending"
    server.shutdown()
    assert str(failed.value).startswith("HTTP 500: receiver is down: xxx")
    assert len(str(failed.value)) < 400
    assert sum(written) < 64 * 2 ** 20, f"{sum(written)} bytes of the answer were taken"
    assert elapsed < 5


def test_outside_development_a_webhook_cannot_reach_the_platforms_own_network(platform, receiver, upstream):
    """A subscriber may not make the platform call (and report the answers of) the
    broker's management API or anything else on loopback or a private network: a
    literal address is refused when subscribing, a name that resolves inside is
    refused before each attempt, and nothing arrives."""
    platform.config["notifications"]["webhook"]["private_hosts"] = []
    platform.start("notifications")
    for url in ("http://127.0.0.1:15672/api/overview", "http://169.254.169.254/latest/meta-data/",
                "http://[::1]:5672/", "http://10.0.0.8/hooks"):
        response = requests.post(platform.url("notifications", "/subscriptions"),
                                 json={"channel": {"kind": "webhook", "url": url}},
                                 headers=platform.headers("department"))
        assert response.status_code == 422, (url, response.text)
        assert "private network" in response.json()["error"]["fields"]["channel.url"][0]

    by_name = receiver.url().replace("127.0.0.1", "localhost")
    subscription = subscribe(platform, {"channel": {"kind": "webhook", "url": by_name}})
    upstream["registry"].emit("BaseDeclared", base_declared(), role="applicant")

    def first_attempt_failed():
        rows = requests.get(platform.url("notifications", "/deliveries"), headers=platform.headers("ops"),
                            params={"subscription_id": subscription["subscription_id"]}).json()["deliveries"]
        return rows and rows[0]["last_error"] and rows[0]

    row = wait_until(first_attempt_failed, message="the first attempt to be refused")
    assert "private network" in row["last_error"] and "localhost" in row["last_error"]
    assert receiver.requests == []


def test_a_webhook_to_a_port_that_refuses_the_connection_is_recorded_as_refused_at_once():
    """A closed port answers at once with a refusal; the delivery log says so rather
    than blaming a receiver that took too long."""
    import socket

    from services.notifications.channels import DeliveryFailed, WebhookChannel

    with socket.socket() as probe:  # a port just free, with nothing listening on it
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    channel = WebhookChannel(timeout=10, destinations=Destinations(private_hosts=["127.0.0.1"]))
    started = time.monotonic()
    with pytest.raises(DeliveryFailed) as failed:
        channel.send(dispatch_to(f"http://127.0.0.1:{port}/hook"))
    assert str(failed.value) == f"Connection refused by 127.0.0.1:{port}."
    assert time.monotonic() - started < 2
