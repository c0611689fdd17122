"""A webhook attempt connects to the address its destination check approved.

A name that answers a public address to the check and a private one a moment later
(DNS rebinding) must not get the request into the platform's network; and pinning the
address must keep HTTPS whole: SNI and the certificate check use the URL's host. The
receivers are real local servers (HTTP, and HTTPS with a test CA made here)."""

import hashlib
import hmac
import socket
import ssl
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread
from uuid import uuid4

import eventlet
import pytest

from services.notifications.channels import DeliveryFailed, WebhookChannel
from services.notifications.destinations import Destinations
from services.notifications.domain import Dispatch
from tests.support.receivers import certificates_for

SECRET = "s" * 32


class LoopbackCountsAsPublic(Destinations):
    """The production rules, except that this machine's loopback stands in for the
    public internet (the test's receivers listen there)."""

    @staticmethod
    def _refuse_internal(address, host):
        if not address.is_loopback:
            Destinations._refuse_internal(address, host)


class Resolver:
    """Answers each lookup with the next address of ``answers``; counts lookups.
    Installed as the process's DNS (``socket.getaddrinfo``) and given to the checks:
    one answer for everyone, as a real name server's."""

    def __init__(self, *answers):
        self.answers, self.lookups = list(answers), []

    def __call__(self, host, port, family=0, type=0, proto=0, flags=0):
        if host.replace(".", "").isdigit():  # an address is its own answer, as in the real one
            return [(2, type, 6, "", (host, port))]
        self.lookups.append(host)
        address = self.answers[min(len(self.lookups), len(self.answers)) - 1]
        return [(2, type, 6, "", (address, port))]


class Receiver:
    """A local webhook receiver (HTTP, or HTTPS with ``certificate``)."""

    def __init__(self, certificate=None):
        self.requests = []
        received = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((dict(self.headers), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if certificate:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*certificate)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def dispatch(url: str) -> Dispatch:
    return Dispatch(delivery_id=uuid4(), subscription_id=uuid4(), attempt=1, channel="webhook",
                    destination=url, secret=SECRET, event_type="BaseDeclared", event_id=uuid4(),
                    title="申报", message="山西大学 已申报", envelope={"payload": {}})


@pytest.fixture
def tls(tmp_path):
    """A test CA and a certificate for hooks.example.test signed by it: (ca file,
    (certificate file, key file))."""
    return certificates_for(tmp_path, "hooks.example.test")


def test_a_name_that_rebinds_to_the_inside_after_the_check_does_not_get_the_request(monkeypatch):
    inside = Receiver()
    try:
        # 127.0.0.2 plays a public address (nothing listens there: no network needed), then
        # the name rebinds to 127.0.0.1, where the inside receiver listens.
        resolver = Resolver("127.0.0.2", "127.0.0.1")
        monkeypatch.setattr(socket, "getaddrinfo", resolver)
        channel = WebhookChannel(timeout=1, destinations=LoopbackCountsAsPublic(resolve=resolver))
        with pytest.raises(DeliveryFailed):  # sent to the checked address, which refuses
            channel.send(dispatch(f"http://rebind.example.test:{inside.port}/admin"))
        assert inside.requests == []
        assert resolver.lookups == ["rebind.example.test"]
    finally:
        inside.close()


def test_https_to_the_checked_address_still_checks_the_certificate_against_the_urls_host(tls, monkeypatch):
    ca_file, certificate = tls
    receiver = Receiver(certificate)
    try:
        resolver = Resolver("127.0.0.1")
        monkeypatch.setattr(socket, "getaddrinfo", resolver)
        channel = WebhookChannel(timeout=5, ca_certs=ca_file,
                                 destinations=LoopbackCountsAsPublic(resolve=resolver, require_https=True))
        sent = dispatch(f"https://hooks.example.test:{receiver.port}/hook?org=kjt")
        assert channel.send(sent) == "HTTP 204"
        assert resolver.lookups == ["hooks.example.test"]  # the check's; the connection used it
        (headers, body), = receiver.requests
        assert headers["Host"] == f"hooks.example.test:{receiver.port}"
        signed = headers["X-SC-Timestamp"].encode() + b"." + body
        assert headers["X-SC-Signature"] == "sha256=" + hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()

        # The same address under a name the certificate does not cover is refused.
        with pytest.raises(DeliveryFailed, match="(?i)certificate|hostname"):
            channel.send(dispatch(f"https://other.example.test:{receiver.port}/hook"))
        assert len(receiver.requests) == 1
    finally:
        receiver.close()


def test_a_slow_name_server_is_within_the_attempts_deadline():
    """The lookup before an attempt counts towards its deadline: a name server that
    takes longer than the webhook timeout fails the attempt at the timeout, long
    before the attempt's lease runs out."""
    def slow(host, port, family=0, type=0, proto=0, flags=0):
        eventlet.sleep(5)  # the deadline passes here; the answer is never used
        return [(2, type, 6, "", ("192.0.2.10", port))]

    channel = WebhookChannel(timeout=0.5, destinations=Destinations(resolve=slow))
    started = time.monotonic()
    with pytest.raises(DeliveryFailed, match=r"No answer within 0\.5s"):
        channel.send(dispatch("https://slow-dns.example.test/hook"))
    assert time.monotonic() - started < 1.5
