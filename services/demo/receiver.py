"""A county government's webhook endpoint, as the README tells a receiver to be built:
verify the signature before parsing, refuse an old timestamp, de-duplicate on the
delivery id, answer 2xx only for what it accepted."""

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_AGE_SECONDS = 300


def signature_ok(secret: str, timestamp: str, body: bytes, signature: str,
                 now: float | None = None) -> bool:
    """``X-SC-Signature`` is ``sha256=`` + HMAC-SHA256(secret, timestamp + "." + body),
    and the timestamp is recent, so a captured request cannot be replayed later."""
    expected = "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body,
                                    hashlib.sha256).hexdigest()
    try:
        fresh = abs((now or time.time()) - int(timestamp)) < MAX_AGE_SECONDS
    except ValueError:
        return False
    return hmac.compare_digest(expected, signature) and fresh


class WebhookReceiver:
    """An HTTP server on a free local port. Until it is told the subscription's secret
    it answers 503 (the platform retries); then it accepts only signed requests."""

    def __init__(self, port: int = 0):
        self.secret: str | None = None
        self.deliveries: dict[str, dict] = {}  # delivery id -> accepted body
        self.requests = 0
        self.rejected = 0
        self.duplicates = 0
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/shuangchuang"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def receive(self, headers, body: bytes) -> int:
        """The status to answer for one request."""
        with self.lock:
            self.requests += 1
            if self.secret is None:
                return 503
            if not signature_ok(self.secret, headers.get("X-SC-Timestamp", ""), body,
                                headers.get("X-SC-Signature", "")):
                self.rejected += 1
                return 401
            delivery_id = headers.get("X-SC-Delivery", "")
            if delivery_id in self.deliveries:
                self.duplicates += 1  # a retry of what we already have: accept, keep one
                return 200
            self.deliveries[delivery_id] = json.loads(body)
            return 200

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = receiver.receive(self.headers, body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass  # the demo reports what it received; no access log on the terminal

        return Handler
