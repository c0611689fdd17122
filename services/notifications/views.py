"""The notifications service's read models, folded from its log (rebuildable from 0).

``DeliveryBoard`` is also the sender's work queue: per (subscription, subject) it keeps
the deliveries not yet final in log order, and only the first of each is ever handed
to the sender, which is how a later event about a base never overtakes an earlier one,
and why one subscriber never has two attempts about one base in flight. A delivery
that ops re-sends joins the back of its queue: put back in its old place, it would
hold up every newer delivery of that base for its whole retry cycle, and go out
beside one already in flight.
After a restart the board is folded again from the log, so whatever was due when the
process died is due again.
"""

from bisect import insort
from datetime import datetime
from typing import NamedTuple
from uuid import UUID

from services.backbone.eventstore.views import View

from . import backfill_state
from .domain import FINAL, Delivery, Subscription
from .matching import EventFilter


def public_channel(channel: dict) -> dict:
    """A channel without its secret: what any response or read model may hold."""
    return {key: value for key, value in channel.items() if key != "secret"}


class ActiveSubscription(NamedTuple):
    """What matching an event needs of a subscription (no destination, no secret)."""

    subscription_id: UUID
    owner_id: UUID
    channel: str
    filter: EventFilter
    owner: dict  # who, in which capacity, with which scope (``domain.owner_of``)
    backfill: dict | None = None  # its backfill (``backfill_state``), if any


class SubscriptionDirectory(View):
    """Every subscription (without secrets), for lists and for matching events."""

    def __init__(self):
        self.rows: dict[UUID, dict] = {}

    def reset(self):
        self.rows = {}

    def apply(self, event):
        if isinstance(event, Subscription.Subscribed):
            self.rows[event.originator_id] = {
                "subscription_id": event.originator_id, "label": event.label,
                "owner": event.owner, "filter": event.filter,
                "channel": public_channel(event.channel), "status": "active",
                "created_at": event.timestamp, "updated_at": event.timestamp,
                "backfill": None,
            }
            return
        row = self.rows.get(event.originator_id)
        if row is None:
            return
        if isinstance(event, Subscription.Changed):
            row.update(label=event.label, filter=event.filter, channel=public_channel(event.channel))
        elif isinstance(event, Subscription.Cancelled):
            row["status"] = "cancelled"
        elif isinstance(event, Subscription.BackfillStarted):
            row["backfill"] = backfill_state.started(event.since, event.rate, event.start, event.at,
                                                     event.number)
        elif isinstance(event, Subscription.BackfillAdvanced):
            row["backfill"] = backfill_state.advanced(row["backfill"], event.positions, event.delivered)
            return  # progress, not a change of the subscription
        elif isinstance(event, Subscription.BackfillCaughtUp):
            row["backfill"] = backfill_state.caught_up(row["backfill"], event.source, event.at)
        elif isinstance(event, Subscription.BackfillCancelled):
            row["backfill"] = backfill_state.cancelled(row["backfill"], event.at)
        else:
            return
        row["updated_at"] = event.timestamp

    def active(self) -> list[ActiveSubscription]:
        return [ActiveSubscription(row["subscription_id"], row["owner"]["actor_id"],
                                   row["channel"]["kind"], EventFilter.from_dict(row["filter"]),
                                   row["owner"], row["backfill"])
                for row in self.rows.values() if row["status"] == "active"]

    def backfilling(self) -> list[UUID]:
        """Active subscriptions whose backfill has work left, oldest first."""
        return [row["subscription_id"] for row in self.select(status="active")
                if backfill_state.is_open(row["backfill"])]

    def select(self, *, owner_id: UUID | None = None, status: str | None = None) -> list[dict]:
        rows = [dict(row) for row in self.rows.values()
                if (owner_id is None or row["owner"]["actor_id"] == owner_id)
                and (status is None or row["status"] == status)]
        return sorted(rows, key=lambda row: row["created_at"])


class DeliveryBoard(View):
    """A row per delivery, and the order in which the sender may attempt them."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.rows: dict[UUID, dict] = {}
        self.open: dict[tuple, list[tuple[int, UUID]]] = {}  # key -> [(place, id)] not final
        self.sequence = 0  # of Scheduled (the lists' order) and ResendRequested (queue places)

    def apply(self, event):
        if isinstance(event, Delivery.Scheduled):
            self._scheduled(event)
            return
        row = self.rows.get(event.originator_id)
        if row is None:
            return
        if isinstance(event, Delivery.ResendRequested):
            self._resent(row, event)
            self._track(row)
            return
        handler = self._HANDLERS.get(type(event).__name__)
        if handler is not None:
            handler(row, event)
            self._track(row)

    def _scheduled(self, event) -> None:
        self.sequence += 1
        inbox = event.channel == "inbox"
        row = {
            "delivery_id": event.originator_id, "subscription_id": event.subscription_id,
            "owner_id": event.owner_id, "channel": event.channel, "event_type": event.event_type,
            "event_id": event.event_id, "subject": event.subject, "title": event.title,
            "message": event.message, "status": "delivered" if inbox else "pending",
            "attempts": 0, "last_error": None, "due_at": None if inbox else event.at,
            "lease_until": None, "created_at": event.at,
            "delivered_at": event.at if inbox else None, "read_at": None,
            "sequence": self.sequence, "place": self.sequence,
            "key": (event.subscription_id, event.subject or event.originator_id),
        }
        self.rows[event.originator_id] = row
        self._track(row)

    def _track(self, row: dict) -> None:
        """Keeps the row in its key's list of open deliveries while it is not final."""
        entries = self.open.setdefault(row["key"], [])
        entry = (row["place"], row["delivery_id"])
        listed = entry in entries
        if row["status"] in FINAL and listed:
            entries.remove(entry)
        elif row["status"] not in FINAL and not listed:
            insort(entries, entry, key=lambda e: e[0])
        if not entries:
            self.open.pop(row["key"], None)

    @staticmethod
    def _started(row, event):
        row.update(status="sending", attempts=event.number, lease_until=event.lease_until)

    @staticmethod
    def _delivered(row, event):
        row.update(status="delivered", delivered_at=event.at, due_at=None, lease_until=None)

    @staticmethod
    def _failed(row, event):
        row.update(status="pending" if event.retry_at else "failed", due_at=event.retry_at,
                   last_error=event.error, lease_until=None)

    def _resent(self, row, event) -> None:
        """Back in the queue, behind every delivery of its key scheduled or re-sent
        before (a re-send is only of a final delivery, which has left its queue)."""
        self.sequence += 1
        row.update(status="pending", due_at=event.at, place=self.sequence)

    @staticmethod
    def _abandoned(row, event):
        row.update(status="abandoned", due_at=None)

    @staticmethod
    def _read(row, event):
        row["read_at"] = event.at

    _HANDLERS = {
        "AttemptStarted": _started, "Delivered": _delivered, "AttemptFailed": _failed,
        "Abandoned": _abandoned, "Read": _read,
    }

    # -- queries ---------------------------------------------------------------------------

    def due(self, now: datetime, exclude: set[UUID]) -> tuple[list[UUID], datetime | None]:
        """The deliveries to attempt now (first open one of each key, due, or sending with
        an expired lease), and the earliest moment another one falls due."""
        due, upcoming = [], None
        for entries in self.open.values():
            row = self._current(entries)
            if row["delivery_id"] in exclude:
                continue
            moment = row["lease_until"] if row["status"] == "sending" else row["due_at"]
            if moment is None:
                continue
            if moment <= now:
                due.append((row["place"], row["delivery_id"]))
            elif upcoming is None or moment < upcoming:
                upcoming = moment
        return [delivery_id for _, delivery_id in sorted(due)], upcoming

    def _current(self, entries: list[tuple[int, UUID]]) -> dict:
        """The delivery of a key that goes next: the one being attempted, if any, else
        the first in order. The one attempted is not always the first: a delivery whose
        first attempt the consumer claimed may have committed just after another
        source's delivery of the same key, left pending (see
        ``FirstAttempts.claim``)."""
        if len(entries) == 1:
            return self.rows[entries[0][1]]
        rows = [self.rows[delivery_id] for _, delivery_id in entries]
        return next((row for row in rows if row["status"] == "sending"), rows[0])

    def select(self, *, owner_id=None, subscription_id=None, status=None, channel=None,
               unread=None) -> list[dict]:
        """Deliveries, newest first."""
        rows = [row for row in self.rows.values()
                if (owner_id is None or row["owner_id"] == owner_id)
                and (subscription_id is None or row["subscription_id"] == subscription_id)
                and (status is None or row["status"] == status)
                and (channel is None or row["channel"] == channel)
                and (unread is None or (row["read_at"] is None) == unread)]
        rows.sort(key=lambda row: row["sequence"], reverse=True)
        return [dict(row) for row in rows]

    def knows(self, delivery_id: UUID) -> bool:
        return delivery_id in self.rows

    def has_open(self, subscription_id: UUID, subject) -> bool:
        """Whether a delivery of this subscription about ``subject`` (the delivery's own
        id when it has none) is not final yet: a new one then waits its turn."""
        return (subscription_id, subject) in self.open

    def unread_count(self, owner_id: UUID) -> int:
        return sum(1 for row in self.rows.values()
                   if row["owner_id"] == owner_id and row["channel"] == "inbox"
                   and row["read_at"] is None)
