"""Real servers in this process that notifications deliver to: a webhook receiver that
checks signatures as the README tells receivers to, an SMTP server, a test CA for TLS;
and one attempt as the sender hands it to a channel."""

import hashlib
import hmac
import json
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from uuid import uuid4

from nameko.testing.utils import find_free_port

def dispatch_to(url: str, secret: str = "s" * 20, channel: str = "webhook"):
    """One attempt of a delivery to ``url`` (or an address), as the sender hands it to
    a channel."""
    from services.notifications.domain import Dispatch

    return Dispatch(delivery_id=uuid4(), subscription_id=uuid4(), attempt=1, channel=channel,
                    destination=url, secret=secret, event_type="BaseDeclared", event_id=uuid4(),
                    title="申报", message="山西大学 已申报", envelope={"payload": {}})


def serve_http(handler) -> ThreadingHTTPServer:
    """A local HTTP server with ``handler`` on a free port of 127.0.0.1, serving until
    shut down."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class WebhookReceiver:
    """A real HTTP server that records each request (headers and exact body bytes) and
    answers 200, or the statuses it is told to give for a given event, in order.

    With ``secret`` it checks every request as the README tells receivers to, before
    anything else: a signature that is not the subscription's HMAC of timestamp and
    body, or a timestamp older than five minutes, is answered 401 (and recorded with
    ``signature_ok`` False), so that every attempt's signature is checked, retries'
    included."""

    def __init__(self, secret: str | None = None):
        self.secret = secret
        self.requests: list[dict] = []
        self.scripts: dict[str, list[int]] = {}  # event id -> statuses to answer first
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                received_at = time.time()
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                signature_ok = receiver.verifies(self.headers, body)
                with receiver.lock:
                    script = receiver.scripts.get(self.headers.get("X-SC-Event-Id"), [])
                    status = 401 if not signature_ok else script.pop(0) if script else 200
                if isinstance(status, float):  # stall that long, then accept
                    time.sleep(status)
                    status = 200
                with receiver.lock:
                    receiver.requests.append({"path": self.path, "headers": dict(self.headers),
                                              "body": body, "status": status,
                                              "signature_ok": signature_ok,
                                              "received_at": received_at})
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"receiver is down")

            def log_message(self, *args):
                pass

        self.port = find_free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def verifies(self, headers, body: bytes) -> bool:
        """The receiver's check of one request (True when it has no secret to check)."""
        if self.secret is None:
            return True
        timestamp, signature = headers.get("X-SC-Timestamp", ""), headers.get("X-SC-Signature", "")
        expected = "sha256=" + hmac.new(self.secret.encode(), timestamp.encode() + b"." + body,
                                        hashlib.sha256).hexdigest()
        return (hmac.compare_digest(expected, signature) and timestamp.isdigit()
                and abs(time.time() - int(timestamp)) < 300)

    def answer(self, event_id: str, *statuses: int | float) -> None:
        """Answers the next requests about this event with these statuses (a float:
        stalls that many seconds before answering 200)."""
        self.scripts[str(event_id)] = list(statuses)

    def about(self, event_id: str) -> list[dict]:
        return [r for r in self.requests if r["headers"].get("X-SC-Event-Id") == str(event_id)]

    def url(self, path: str = "/hooks/sc") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def bodies(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.requests]

    def accepted(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.requests if r["status"] < 300]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class MailServer:
    """A real SMTP server (aiosmtpd) on a free port, keeping what it receives.

    ``refuse`` answers a command (``MAIL``, ``RCPT``, ``DATA``) with the reply given
    instead of accepting it; ``delay`` is how long it thinks before each of those
    replies; ``tls_context`` offers STARTTLS with that certificate."""

    def __init__(self, port: int | None = None, *, refuse: dict[str, str] | None = None,
                 delay: float = 0.0, tls_context=None):
        import asyncio

        from aiosmtpd.controller import Controller

        self.messages: list = []
        self.commands: list[str] = []
        outer, refuse = self, refuse or {}

        async def reply(command: str) -> str | None:
            outer.commands.append(command)
            await asyncio.sleep(delay)
            return refuse.get(command)

        class Handler:
            async def handle_MAIL(self, server, session, envelope, address, mail_options):
                refused = await reply("MAIL")
                if refused:
                    return refused
                envelope.mail_from = address
                return "250 OK"

            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
                refused = await reply("RCPT")
                if refused:
                    return refused
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):
                refused = await reply("DATA")
                if refused:
                    return refused
                outer.messages.append(envelope)
                return "250 Message accepted for delivery"

        self.port = port or find_free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port,
                                     tls_context=tls_context)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


def certificates_for(directory, name: str) -> tuple[str, tuple[str, str]]:
    """A test CA and a certificate for ``name`` signed by it, written to ``directory``:
    (ca file, (certificate file, key file))."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.now(timezone.utc)

    def certificate(subject, issuer, public_key, signing_key, *, ca, names=()):
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
                   .public_key(public_key).serial_number(x509.random_serial_number())
                   .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if names:
            builder = builder.add_extension(x509.SubjectAlternativeName(
                [x509.DNSName(name) for name in names]), critical=False)
        return builder.sign(signing_key, hashes.SHA256())

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "平台测试 CA")])
    ca = certificate(ca_name, ca_name, ca_key.public_key(), ca_key, ca=True)
    leaf = certificate(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]),
                       ca_name, key.public_key(), ca_key, ca=False, names=[name])
    files = {kind: directory / f"{kind}.pem" for kind in ("ca", "cert", "key")}
    files["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files["cert"].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    files["key"].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    return str(files["ca"]), (str(files["cert"]), str(files["key"]))
