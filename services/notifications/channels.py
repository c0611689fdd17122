"""How a delivery leaves the platform: a signed HTTP POST, or an e-mail through the
configured SMTP server. (Inbox deliveries never leave: they are delivered on arrival.)

A channel returns a short detail on success. It raises ``DeliveryFailed`` when the
receiver's side failed (an error status or a timeout at their URL, an address refused
by the mail server, now or for good): that counts against ``max_attempts``. It raises
``ChannelUnavailable`` when our own infrastructure did (the SMTP server is down, slow,
or refuses our sender or login): that is retried for as long as it lasts, because the
receiver did nothing wrong and the mail will go once the server is back.

Each attempt has one deadline for all of it, the channel's ``timeout_seconds``: for a
webhook the name's lookup, the connection, TLS, the request and the answer; for mail
the connection, STARTTLS, login and every command. The sockets' own timeouts bound
only one operation each, and ten slow ones could outlast the attempt's lease (after
which another sender takes the delivery as interrupted and sends it again).
``RetryPolicy.from_config`` refuses a lease that does not exceed every deadline.

Webhook signature (documented in README): ``X-SC-Signature: sha256=<hex>``, the
HMAC-SHA256 with the subscription's secret of ``<X-SC-Timestamp> + "." + <body bytes>``,
so a receiver can refuse a replayed request with an old timestamp as well as a forged one.
"""

import contextlib
import hashlib
import hmac
import json
import smtplib
import ssl
import time
from email.message import EmailMessage
from email.utils import parseaddr
from urllib.parse import urlsplit

import eventlet
import urllib3

from services.backbone.config import ConfigError

from .destinations import DestinationRefused, Destinations
from .domain import Dispatch

USER_AGENT = "shuangchuang-notifications/1"
KEPT_BYTES = 1200  # of a receiver's answer: enough for what the delivery log keeps of it


class DeliveryFailed(Exception):
    """The receiver's side failed; counts as an attempt."""


class ChannelUnavailable(Exception):
    """Our own infrastructure failed; retried without using up the attempts."""


class DeadlinePassed(Exception):
    """An attempt's deadline passed (raised by its timer, so no other timeout is taken
    for it)."""


def webhook_body(dispatch: Dispatch) -> bytes:
    """The JSON a webhook receives; the same bytes on every attempt."""
    body = {
        "delivery_id": str(dispatch.delivery_id),
        "subscription_id": str(dispatch.subscription_id),
        "event_type": dispatch.event_type,
        "title": dispatch.title,
        "message": dispatch.message,
        "event": dispatch.envelope,
    }
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-SC-Signature`` value for a body sent at ``timestamp`` (unix seconds)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


class WebhookChannel:
    """HTTP(S) POST of signed JSON; any 2xx is delivered. Redirects are not followed:
    the subscriber registers the URL that answers."""

    def __init__(self, timeout: float, clock=time.time, destinations: Destinations | None = None,
                 ca_certs: str | None = None):
        self.timeout = timeout
        self.clock = clock
        self.destinations = destinations or Destinations()
        # Connections to a receiver are kept and reused: opening one per webhook (with
        # TLS, in production) cost more than the webhook. urllib3 itself, not requests
        # over it: requests' per-request preparation (cookies, proxies from the
        # environment, hooks) was a fifth of the service's time under load, and a
        # webhook needs none of it. No cookie is ever kept, so nothing one receiver sets
        # can travel to another subscription.
        # ``ca_certs``: the authorities receivers' certificates are checked against
        # (default: the system's), for a deployment whose receivers use an internal CA.
        self.pool = urllib3.PoolManager(num_pools=100, maxsize=10, retries=False,
                                        timeout=urllib3.Timeout(connect=timeout, read=timeout),
                                        **({"ca_certs": ca_certs} if ca_certs else {}))

    def headers(self, dispatch: Dispatch, body: bytes) -> dict:
        timestamp = str(int(self.clock()))
        return {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "X-SC-Delivery": str(dispatch.delivery_id),
            "X-SC-Event-Id": str(dispatch.event_id),
            "X-SC-Event-Type": dispatch.event_type,
            "X-SC-Attempt": str(dispatch.attempt),
            "X-SC-Timestamp": timestamp,
            "X-SC-Signature": sign(dispatch.secret or "", timestamp, body),
        }

    def send(self, dispatch: Dispatch) -> str:
        body = webhook_body(dispatch)
        try:
            # The pool's timeout bounds each read; the deadline bounds the whole attempt
            # (the name's lookup included), so that neither a slow name server nor a
            # receiver trickling bytes can outlast the attempt's lease.
            with eventlet.Timeout(self.timeout, DeadlinePassed()):
                address = self.destinations.check_before_sending(dispatch.destination)
                response = self._post(dispatch.destination, address, body,
                                      self.headers(dispatch, body))
                answer = read_bounded(response)
        except DestinationRefused as refused:
            raise DeliveryFailed(f"Not sent: {refused}") from None
        except urllib3.exceptions.NewConnectionError as error:
            # before TimeoutError, which urllib3 makes it a subclass of: a refused
            # connection is not a receiver that did not answer in time
            raise DeliveryFailed(not_connected(dispatch.destination, error)) from None
        except (urllib3.exceptions.TimeoutError, DeadlinePassed):
            raise DeliveryFailed(f"No answer within {self.timeout:g}s.") from None
        except (urllib3.exceptions.HTTPError, ValueError) as error:
            raise DeliveryFailed(f"{type(error).__name__}: {error}") from None
        if 200 <= response.status < 300:
            return f"HTTP {response.status}"
        text = answer.decode("utf-8", errors="replace")
        raise DeliveryFailed(f"HTTP {response.status}: {text[:300]}")

    def _post(self, url: str, address: str | None, body: bytes, headers: dict):
        """POSTs to ``url``; with ``address``, over a connection to that address (the
        one the destination check approved), the URL's host still named in ``Host``
        and, for https, in SNI and checked against the certificate."""
        if address is None:
            return self.pool.request("POST", url, body=body, headers=headers, redirect=False,
                                     preload_content=False)
        parts = urlsplit(url)
        https = parts.scheme == "https"
        pool = self.pool.connection_from_host(
            address, port=parts.port or (443 if https else 80), scheme=parts.scheme,
            pool_kwargs={"server_hostname": parts.hostname, "assert_hostname": parts.hostname}
            if https else None)
        host = parts.hostname + (f":{parts.port}" if parts.port else "")
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return pool.urlopen("POST", target, body=body, headers={**headers, "Host": host},
                            redirect=False, preload_content=False, assert_same_host=False)


def not_connected(url: str, error: Exception) -> str:
    """What the delivery log says of a connection that failed at once: refused (nothing
    listens at that port), or the system's own reason."""
    parts = urlsplit(url)
    where = f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
    if isinstance(error.__cause__, ConnectionRefusedError):
        return f"Connection refused by {where}."
    return f"Could not connect to {where}: {error.__cause__ or error}"


def read_bounded(response, limit: int = KEPT_BYTES) -> bytes:
    """At most ``limit`` bytes of an answer, as sent (not decompressed: a small gzip body
    can unpack to gigabytes). A subscriber could otherwise answer with gigabytes, and
    every attempt in flight would hold its answer in memory. The connection goes back
    to the pool only if the answer ended within the limit; otherwise it is closed and
    the rest is never read."""
    try:
        data = response.read(limit + 1, decode_content=False)
        if len(data) > limit:
            response.close()
    except BaseException:  # a deadline or a broken answer: the connection is not reusable
        response.close()
        raise
    finally:
        response.release_conn()
    return data[:limit]


class EmailChannel:
    """Plain-text mail with the event as a JSON attachment, Message-ID from the delivery
    id. With ``starttls`` the server's certificate and host name are checked (against
    ``ca_certs``), and a password is never sent without TLS (refused at start-up)."""

    def __init__(self, *, host: str, port: int, sender: str, timeout: float,
                 username: str = "", password: str = "", starttls: bool = False,
                 ca_certs: str | None = None):
        if username and not starttls:
            raise ValueError("notifications.smtp.username is set but smtp.starttls is not: "
                             "the password would cross the network in clear")
        self.host, self.port, self.sender, self.timeout = host, int(port), sender, timeout
        self.username, self.password, self.starttls = username, password, starttls
        self.tls = ssl.create_default_context(cafile=ca_certs or None) if starttls else None

    def message(self, dispatch: Dispatch) -> EmailMessage:
        domain = parseaddr(self.sender)[1].rpartition("@")[2] or "localhost"
        mail = EmailMessage()
        mail["Subject"] = f"【双创示范基地】{dispatch.title}"
        mail["From"] = self.sender
        mail["To"] = dispatch.destination
        mail["Message-ID"] = f"<{dispatch.delivery_id}@{domain}>"
        mail["X-SC-Delivery"] = str(dispatch.delivery_id)
        mail["X-SC-Event-Type"] = dispatch.event_type
        envelope = dispatch.envelope
        mail.set_content(
            f"{dispatch.message}\n\n事件类型：{dispatch.event_type}\n事件编号：{dispatch.event_id}\n"
            f"发生时间：{envelope.get('occurred_at', '')}\n\n事件数据见附件 event.json。\n"
            "（本邮件由山西省省级双创示范基地平台自动发送。）\n")
        mail.add_attachment(json.dumps(envelope, ensure_ascii=False, indent=2).encode(),
                            maintype="application", subtype="json", filename="event.json")
        return mail

    def send(self, dispatch: Dispatch) -> str:
        """Hands the mail to the SMTP server, the whole conversation within
        ``timeout`` (each socket operation too)."""
        mail, smtp = self.message(dispatch), None
        deadline = eventlet.Timeout(self.timeout, DeadlinePassed())
        try:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.tls is not None:
                smtp.starttls(context=self.tls)
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(mail)
            with contextlib.suppress(DeadlinePassed, OSError, smtplib.SMTPException):
                smtp.quit()  # the server has accepted the mail, whatever QUIT gets
        except DeadlinePassed:
            raise ChannelUnavailable(f"SMTP server {self.host}:{self.port} did not finish "
                                     f"within {self.timeout:g}s.") from None
        except (OSError, smtplib.SMTPException) as error:
            raise self._whose(error) from None
        finally:
            deadline.cancel()
            if smtp is not None:
                smtp.close()  # no QUIT after a failure: the deadline may have passed
        return f"accepted by {self.host}:{self.port}"

    def _whose(self, error: Exception) -> Exception:
        """Whose failure an SMTP error is: the receiver's (counted) when the recipient was
        refused, or this message refused for good at DATA, lest a full mailbox hold up
        every later mail; ours (retried while it lasts) for everything else."""
        if isinstance(error, smtplib.SMTPRecipientsRefused):
            refusals = "; ".join(f"{address}: {code} {_text(reply)}"
                                 for address, (code, reply) in error.recipients.items())
            if all(code == 421 for code, _ in error.recipients.values()):
                return ChannelUnavailable(f"SMTP server {self.host}:{self.port} closing: {refusals}")
            return DeliveryFailed(f"Recipient refused: {refusals}")
        if isinstance(error, smtplib.SMTPDataError) and error.smtp_code >= 500:
            return DeliveryFailed(f"Message refused: {error.smtp_code} {_text(error.smtp_error)}")
        if isinstance(error, smtplib.SMTPAuthenticationError):
            return ChannelUnavailable(f"SMTP login refused: {error.smtp_code}")
        if isinstance(error, smtplib.SMTPResponseException):
            return ChannelUnavailable(f"SMTP server {self.host}:{self.port} refused us: "
                                      f"{error.smtp_code} {_text(error.smtp_error)}")
        return ChannelUnavailable(f"SMTP server {self.host}:{self.port} unavailable: "
                                  f"{type(error).__name__}: {error}")


def _text(reply) -> str:
    return reply.decode("utf-8", errors="replace") if isinstance(reply, bytes) else str(reply)


class Channels:
    """Every channel that sends, chosen by the subscription's kind of channel."""

    def __init__(self, webhook: WebhookChannel, email: EmailChannel):
        self.by_kind = {"webhook": webhook, "email": email}

    @classmethod
    def from_config(cls, settings) -> "Channels":
        """The channels of the ``notifications`` section. The mail server and the sender
        address have no default in production (there is no server to assume, and a
        sender it does not accept fails every mail): the service does not start without."""
        smtp = settings.smtp
        for key in ("host", "sender"):
            if not getattr(smtp, key):
                raise ConfigError(f"notifications.smtp.{key} is not set "
                                  f"(set SC_NOTIFICATIONS__SMTP__{key.upper()})")
        return cls(
            WebhookChannel(timeout=settings.webhook.timeout_seconds,
                           destinations=Destinations.from_config(settings),
                           ca_certs=settings.webhook.ca_certs or None),
            EmailChannel(host=smtp.host, port=smtp.port, sender=smtp.sender,
                         timeout=smtp.timeout_seconds, username=smtp.username,
                         password=smtp.password, starttls=smtp.starttls,
                         ca_certs=smtp.ca_certs or None),
        )

    @property
    def deadlines(self) -> list[float]:
        """How long one attempt may take, per channel (its ``timeout_seconds``)."""
        return [channel.timeout for channel in self.by_kind.values()]

    def send(self, dispatch: Dispatch) -> str:
        channel = self.by_kind.get(dispatch.channel)
        if channel is None:
            raise DeliveryFailed(f"No sender for channel {dispatch.channel!r}.")
        return channel.send(dispatch)
