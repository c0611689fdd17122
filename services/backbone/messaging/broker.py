"""Publishing to RabbitMQ with publisher confirms, and the nameko config of a service."""

import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote, unquote, urlparse

from amqp.exceptions import MessageNacked
from kombu import Connection, Exchange, Producer

from services.backbone.settings import Settings

log = logging.getLogger(__name__)


def nameko_config(config: "dict[str, Any] | Settings", service: str | None = None) -> dict[str, Any]:
    """The nameko config of a service process, connecting as the service's own broker
    user (or of a client, without ``service``, as the configured user); the service's
    code reads its typed ``Settings`` under ``PLATFORM``."""
    settings = Settings.from_dict(config)
    if service:
        from services.backbone.messaging.broker_users import as_service

        settings = as_service(settings, service)
    result = {
        "AMQP_URI": settings.broker.url,
        "HEARTBEAT": settings.broker.heartbeat,
        "SERIALIZER": "json",
        "max_workers": settings.services.max_workers,
        "PLATFORM": settings,
        "LOGGING": {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
            "filters": {"worker_errors": {"()": "services.backbone.ops.worker_logs.WorkerErrorFilter"}},
            "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
            "root": {"level": "INFO", "handlers": ["console"]},
            "loggers": {"nameko.web.server": {"level": "WARNING"},
                        "nameko.containers": {"filters": ["worker_errors"]}},
        },
    }
    if service:
        result["WEB_SERVER_ADDRESS"] = f"{settings.services.host}:{settings.services.port(service)}"
    return result


@dataclass(frozen=True)
class ManagementApi:
    """Where RabbitMQ's management API answers for the platform's vhost, and as whom.

    The credentials in a URL are percent-encoded (a password with ``@``, ``/``, ``#``
    or ``?`` in it), as kombu reads them for AMQP; ``urlparse`` leaves them encoded,
    so they are decoded here before they go into the HTTP request."""

    base: str  # scheme://host:port
    auth: tuple[str, str]
    vhost: str

    def url(self, path: str) -> str:
        """``path`` under /api, with ``{vhost}`` replaced by the vhost, encoded."""
        return f"{self.base}/api/{path.format(vhost=quote(self.vhost, safe=''))}"


def management_api(settings: Settings) -> ManagementApi:
    broker = settings.broker
    api = urlparse(broker.management_url)
    path = urlparse(broker.url).path
    return ManagementApi(
        base=f"{api.scheme}://{api.hostname}:{api.port or 15672}",
        auth=(unquote(api.username or "guest"), unquote(api.password or "guest")),
        vhost=unquote(path[1:]) if len(path) > 1 else "/",
    )


class ConfirmedPublisher:
    """Publishes persistent JSON messages with publisher confirms: ``publish`` and
    ``publish_all`` return only once the broker has confirmed every message they sent,
    so a message is never counted as sent when it was not stored. A refusal (nack) or
    a connection error raises: the caller decides to retry.

    ``publish_all`` sends a whole batch before it waits: one wait for the batch, where
    waiting for each message in turn cost a round trip per message, and in a busy
    eventlet process a turn behind every other green thread per message as well."""

    def __init__(self, url: str, heartbeat: int = 0, confirm_timeout: float = 30.0):
        self.url = url
        self.user_id = unquote(urlparse(url).username or "guest")  # checked by the broker
        self.heartbeat = heartbeat
        self.confirm_timeout = confirm_timeout
        self._connection: Connection | None = None
        self._producer: Producer | None = None

    def _ensure(self) -> Producer:
        if self._producer is None:
            self._connection = Connection(self.url, heartbeat=self.heartbeat)
            self._connection.ensure_connection(max_retries=1)
            channel = self._connection.channel()
            channel.confirm_select()
            channel.events["basic_ack"].add(self._on_ack)
            channel.events["basic_nack"].add(self._on_nack)
            self._sent, self._unconfirmed, self._refused = 0, set(), 0
            self._producer = Producer(channel)
        return self._producer

    def _settle(self, tag: int, multiple: bool) -> int:
        settled = {t for t in self._unconfirmed if t <= tag} if multiple else {tag} & self._unconfirmed
        self._unconfirmed -= settled
        return len(settled)

    def _on_ack(self, tag: int, multiple: bool) -> None:
        self._settle(tag, multiple)

    def _on_nack(self, tag: int, multiple: bool) -> None:
        self._refused += self._settle(tag, multiple)

    @property
    def connection(self) -> Connection:
        self._ensure()
        return self._connection

    def publish(self, **message) -> None:
        """Publishes one message (the arguments of ``publish_all``'s dicts)."""
        self.publish_all([message])

    def publish_all(self, messages: list[dict]) -> None:
        """Publishes each message (``exchange, routing_key, body, message_id``, and
        optional ``headers``, ``correlation_id``), in order, then waits for every
        confirm."""
        producer = self._ensure()
        try:
            for message in messages:
                self._send(producer, user_id=self.user_id, **message)
                self._sent += 1
                self._unconfirmed.add(self._sent)
            deadline = time.monotonic() + self.confirm_timeout
            while self._unconfirmed:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{len(self._unconfirmed)} messages not confirmed in "
                                       f"{self.confirm_timeout:.0f}s")
                self._connection.drain_events(timeout=remaining)
            if self._refused:
                raise MessageNacked(f"the broker refused {self._refused} of {len(messages)} messages")
        except Exception:
            self.close()
            raise

    @staticmethod
    def _send(producer: Producer, *, exchange: Exchange | str, routing_key: str,
              body: dict | bytes, message_id: str, user_id: str, headers: dict | None = None,
              correlation_id: str | None = None) -> None:
        payload = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        producer.publish(
            payload,
            exchange=exchange,
            routing_key=routing_key,
            delivery_mode=2,
            content_type="application/json",
            content_encoding="utf-8",
            message_id=message_id,
            correlation_id=correlation_id,
            headers=headers or {},
            timestamp=int(datetime.now(timezone.utc).timestamp()),
            user_id=user_id,
            retry=False,
        )

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.release()
            except Exception:  # closing a broken connection: nothing left to do
                log.debug("error while closing publisher connection", exc_info=True)
        self._connection = None
        self._producer = None
