"""A source service's log as a consumer reads it over RPC, to fill a gap or catch up.

The source answers ``events_after`` with a page of its published events; anything that
goes wrong in reading it (the source down or slow, its store not answering, any other
error it answers) is ``SourceUnavailable``, which the consumer waits out: applying what
comes after a missing range would skip that range for good, tracking being a
high-water mark. An entry of the page that this consumer cannot read as an event is
``Unreadable``, with the position the source gave it.
"""

import logging
import socket
from dataclasses import dataclass

from eventsourcing.persistence import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerError
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService
from nameko.standalone.rpc import ClusterRpcProxy

from services.contracts import ContractViolation, IntegrationEvent, load_event
from services.contracts.signing import Forged

from services.backbone.web.tokens import issue_token
from services.backbone.messaging.broker import nameko_config
from services.backbone.kernel.context import SYSTEM_ACTOR
from services.backbone.kernel.errors import Unavailable
from services.backbone.settings import Settings

log = logging.getLogger(__name__)

# Failures of infrastructure (a store, the broker, a source over RPC), which pass: what
# meets one is retried for as long as it lasts, never counted towards parking.
TRANSIENT = (OperationalError, InterfaceError, BrokerError, ConnectionError, socket.error,
             RpcTimeout, UnknownService, TimeoutError)


class SourceUnavailable(Exception):
    """The source's log could not be read over RPC (down, slow, or answering an error)."""


class ForgedEntry(SourceUnavailable):
    """The page holds an entry its source did not sign: nothing of it is applied, and
    the consumer waits (and alerts) rather than skip past it."""


@dataclass
class Unreadable:
    """An entry of the source's own log that this consumer cannot read as an event (a
    schema version it does not know yet, say). Its position is certain, since the source
    said so: it is parked there, so that the events after it still flow."""

    position: int
    message: dict
    error: str


class SourceLog:
    """Pages of one source's published log, read as the consuming service."""

    page_size = 500

    def __init__(self, settings: Settings, service: str, source: str, keys):
        self.settings = settings
        self.keys = keys  # whose signatures the entries must carry
        self.service = service
        self.source = source

    def page_after(self, after: int) -> tuple[list[IntegrationEvent | Unreadable], int, int]:
        """The entries after position ``after``, the last position the source read for
        them (``scanned``: where to go on from) and its log's head."""
        token = issue_token(self.settings.auth.secret, role="service",
                            name=f"{self.service} consumer", actor_id=SYSTEM_ACTOR.id)
        try:
            with ClusterRpcProxy(
                nameko_config(self.settings),
                context_data={"authorization": f"Bearer {token}"},
                timeout=self.settings.broker.rpc_timeout_seconds,
            ) as cluster:
                page = getattr(cluster, self.source).events_after(after=after, limit=self.page_size)
        except TRANSIENT as error:
            raise SourceUnavailable(f"{self.source} log unreadable: {error!r}") from error
        except RemoteError as error:
            if error.exc_type != Unavailable.__name__:  # not only its store not answering
                log.error("%s <- %s: reading its log failed: %s: %s", self.service, self.source,
                          error.exc_type, error.value)
            raise SourceUnavailable(f"{self.source} log unreadable: {error.exc_type}: {error.value}") from error
        return [self._entry(message, after) for message in page["events"]], page["scanned"], page["head"]

    def _entry(self, message, after: int) -> IntegrationEvent | Unreadable:
        try:
            self.keys.keyring.verify(message, self.source)
        except Forged as forged:
            log.error("%s <- %s: an entry of its log after #%s is not signed by it: %s",
                      self.service, self.source, after, forged.reason)
            raise ForgedEntry(f"{self.source} log entry after #{after} refused: {forged.reason}") from None
        try:
            return load_event(message)
        except ContractViolation as violation:
            position = message.get("position") if isinstance(message, dict) else None
            if not isinstance(position, int) or isinstance(position, bool) or position <= after:
                raise SourceUnavailable(f"{self.source} gave an entry without a position "
                                        f"past #{after}: {violation}") from None
            return Unreadable(position, message, f"ContractViolation: {violation}")
