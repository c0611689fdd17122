"""Dead-letter queues on the broker: list, show, replay into the original queue, discard.

Each replay or discard is recorded in the consuming service's log (``DeadLetterRecord``)
before the message leaves the dead-letter queue, so the audit trail never misses an
action (at worst it records one that a crash then left undone, and the message is still
there to act on again).
"""

from dataclasses import dataclass, field
from datetime import datetime, timezone

from kombu import Connection

from services.backbone.kernel.errors import NotFound


@dataclass
class DeadLetter:
    queue: str
    message_id: str
    original_queue: str | None
    error: str
    attempts: int | None
    dead_lettered_at: str | None
    body: bytes = field(repr=False)
    headers: dict = field(repr=False, default_factory=dict)

    def summary(self) -> dict:
        return {"queue": self.queue, "message_id": self.message_id,
                "original_queue": self.original_queue, "error": self.error,
                "attempts": self.attempts, "dead_lettered_at": self.dead_lettered_at,
                "body": self.body.decode("utf-8", errors="replace")}


def _as_dead_letter(queue: str, message) -> DeadLetter:
    headers = dict(message.properties.get("application_headers") or {})
    original = headers.get("x-original-queue")
    error = headers.get("x-error")
    deaths = headers.get("x-death") or []
    if original is None and deaths:  # dead-lettered by the broker (delivery limit)
        original = deaths[0].get("queue")
        error = error or f"broker: {deaths[0].get('reason')} after {deaths[0].get('count')} deliveries"
    return DeadLetter(
        queue=queue, message_id=message.properties.get("message_id") or "",
        original_queue=original, error=str(error or ""), attempts=headers.get("x-attempts"),
        dead_lettered_at=headers.get("x-dead-lettered-at"),
        body=message.body if isinstance(message.body, bytes) else str(message.body).encode(),
        headers=headers,
    )


def _drain(channel, queue: str) -> list:
    messages = []
    while True:
        message = channel.basic_get(queue, no_ack=False)
        if message is None:
            return messages
        messages.append(message)


def _take_until(channel, queue: str, message_id: str) -> tuple[list, object | None]:
    """Takes messages (unacked) until the one with ``message_id``; every message if it
    is not there. Replaying a whole queue front to back so takes one message per action,
    not the whole queue each time."""
    messages = []
    while True:
        message = channel.basic_get(queue, no_ack=False)
        if message is None:
            return messages, None
        messages.append(message)
        if (message.properties.get("message_id") or "") == message_id:
            return messages, message


def list_dead_letters(broker_url: str, queue: str) -> list[DeadLetter]:
    """Every message in a dead-letter queue; they all stay there."""
    with Connection(broker_url) as connection:
        channel = connection.channel()
        messages = _drain(channel, queue)
        letters = [_as_dead_letter(queue, m) for m in messages]
        for message in messages:
            channel.basic_reject(message.delivery_tag, requeue=True)
        channel.close()
    return letters


def act_on_dead_letter(broker_url: str, queue: str, message_id: str, *, replay: bool,
                       record, replay_exchange: str) -> DeadLetter:
    """Replays (or discards) one dead letter. ``record(letter)`` writes the audit
    event first; then the message is republished to its original queue (replay, through
    the consumer's ``replay_exchange``) and only then removed from the dead-letter queue."""
    with Connection(broker_url, transport_options={"confirm_publish": True}) as connection:
        channel = connection.channel()
        messages, target = _take_until(channel, queue, message_id)
        try:
            if target is None:
                raise NotFound(f"No message {message_id!r} in {queue}.")
            letter = _as_dead_letter(queue, target)
            record(letter)
            if replay:
                _republish(connection, letter, replay_exchange)
            channel.basic_ack(target.delivery_tag)
            return letter
        finally:
            for message in messages:
                if message is not target:
                    channel.basic_reject(message.delivery_tag, requeue=True)
            channel.close()


def _republish(connection, letter: DeadLetter, exchange: str) -> None:
    if not letter.original_queue:
        raise NotFound(f"{letter.message_id} does not say which queue it came from.")
    # Drop the broker's and our dead-letter bookkeeping (x-delivery-count above all, or
    # the consumer would count earlier deliveries against the replay).
    headers = {k: v for k, v in letter.headers.items() if not k.startswith("x-")}
    headers["x-replayed-at"] = datetime.now(timezone.utc).isoformat()
    headers["x-replayed-from"] = letter.queue
    producer = connection.Producer(connection.channel())
    producer.publish(letter.body, exchange=exchange, routing_key=letter.original_queue,
                     delivery_mode=2, content_type="application/json",
                     content_encoding="utf-8", message_id=letter.message_id, headers=headers,
                     user_id=connection.userid)
