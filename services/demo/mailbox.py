"""The demo's own mail server (aiosmtpd on a free local port): notifications sends the
e-mail subscriptions' messages here, so nothing leaves the machine, and the demo can
check what a department's mailbox received."""

import threading
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


class Mailbox:
    """Accepts every message and keeps its recipients, subject, Message-ID and whether
    the event came attached as ``event.json``."""

    def __init__(self, port: int):
        self.port = port
        self.messages: list[dict] = []
        self.lock = threading.Lock()
        self.controller = Controller(self, hostname="127.0.0.1", port=port)

    async def handle_DATA(self, server, session, envelope):
        mail = message_from_bytes(envelope.content, policy=policy.default)
        attachments = [part.get_filename() for part in mail.iter_attachments()]
        with self.lock:
            self.messages.append({"to": list(envelope.rcpt_tos), "subject": str(mail["Subject"]),
                                  "message_id": str(mail["Message-ID"]),
                                  "event_attached": "event.json" in attachments})
        return "250 Message accepted for delivery"

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()

    def summary(self) -> dict:
        with self.lock:
            ids = {m["message_id"] for m in self.messages}
            return {"received": len(self.messages), "distinct_message_ids": len(ids),
                    "with_event_attached": sum(m["event_attached"] for m in self.messages)}
