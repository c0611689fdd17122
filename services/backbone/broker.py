"""Publishing to RabbitMQ with publisher confirms, and the nameko config of a service."""

import json
import logging
from datetime import datetime, timezone
from typing import Any

from kombu import Connection, Exchange, Producer

log = logging.getLogger(__name__)


def nameko_config(config: dict[str, Any], service: str | None = None) -> dict[str, Any]:
    """The nameko config of a service process (or of a client, without ``service``)."""
    result = {
        "AMQP_URI": config["broker"]["url"],
        "HEARTBEAT": config["broker"].get("heartbeat", 30),
        "SERIALIZER": "json",
        "max_workers": config["services"].get("max_workers", 10),
        "PLATFORM": config,
        "LOGGING": {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
            "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
            "root": {"level": "INFO", "handlers": ["console"]},
            "loggers": {"nameko.web.server": {"level": "WARNING"}},
        },
    }
    if service:
        host = config["services"].get("host", "127.0.0.1")
        port = config["services"][service]["http_port"]
        result["WEB_SERVER_ADDRESS"] = f"{host}:{port}"
    return result


class ConfirmedPublisher:
    """Publishes persistent JSON messages; ``publish`` returns only once the broker has
    confirmed it, so a message is never counted as sent when it was not stored.
    Connection errors propagate: the caller decides to retry."""

    def __init__(self, url: str, heartbeat: int = 0):
        self.url = url
        self.heartbeat = heartbeat
        self._connection: Connection | None = None
        self._producer: Producer | None = None

    def _ensure(self) -> Producer:
        if self._producer is None:
            self._connection = Connection(
                self.url, heartbeat=self.heartbeat,
                transport_options={"confirm_publish": True},
            )
            self._connection.ensure_connection(max_retries=1)
            self._producer = Producer(self._connection.channel())
        return self._producer

    @property
    def connection(self) -> Connection:
        self._ensure()
        return self._connection

    def publish(
        self,
        *,
        exchange: Exchange | str,
        routing_key: str,
        body: dict | bytes,
        message_id: str,
        headers: dict | None = None,
        correlation_id: str | None = None,
    ) -> None:
        producer = self._ensure()
        payload = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        try:
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
                retry=False,
            )
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.release()
            except Exception:  # closing a broken connection: nothing left to do
                log.debug("error while closing publisher connection", exc_info=True)
        self._connection = None
        self._producer = None
