"""Starting and cancelling a subscription's backfill, and the gate that keeps the live
path and a backfill from both believing the other delivers an event.

The live path defers a source's events to a running backfill until the backfill has
read that source up to what the live path applied (``backfill_state``). That check
and the commit of "caught up" happen inside the source's gate, which every live
application of that source holds too: no live event can be between "skipped for the
backfill" and "committed" while the backfill decides it has seen everything. The gate
is a lock of this process; docs/api.md says what that means for two instances.
"""

import threading
from datetime import datetime
from uuid import UUID

from services.backbone.eventstore.application import retry_on_conflict
from services.backbone.kernel.context import Actor, Context
from services.backbone.kernel.errors import field_error

from .domain import Subscription

SOURCES = ("registry", "evaluation", "funding")  # the logs notifications consumes


class BackfillCommands:
    """Mixin of the notifications application: backfill commands and the live gates."""

    backfill_rate = 20.0  # events a second, unless the request or the settings say
    backfill_max_rate = 100.0  # the most a request may ask for

    def configure_backfills(self, settings) -> None:
        """The pace of backfills; refuses at start-up a default beyond the bound."""
        rate, bound = settings.backfill_rate_per_second, settings.backfill_max_rate_per_second
        if not 0 < rate <= bound:
            raise ValueError(f"notifications.backfill_rate_per_second ({rate}) must be above 0 "
                             f"and at most backfill_max_rate_per_second ({bound})")
        self.backfill_rate, self.backfill_max_rate = rate, bound

    def backfill_gate(self, source: str) -> threading.RLock:
        gates = self.__dict__.setdefault("_backfill_gates", {})
        return gates.setdefault(source, threading.RLock())

    # -- the live path, through the gate -------------------------------------------------------

    def process_event(self, domain_event, tracking) -> None:
        with self.backfill_gate(domain_event.source):
            super().process_event(domain_event, tracking)

    def receive_run(self, events) -> None:
        with self.backfill_gate(events[-1].source):
            super().receive_run(events)

    # -- commands ----------------------------------------------------------------------------

    def begin_backfill(self, subscription: Subscription, request: dict, actor: Actor,
                       ctx: Context) -> None:
        """Records the start of a backfill on ``subscription`` (not saved): from where
        each source's live events begin for it, since when, how fast."""
        rate = request.get("rate") or self.backfill_rate
        if rate > self.backfill_max_rate:
            raise field_error("backfill.rate", f"at most {self.backfill_max_rate:g} events a "
                                               "second (notifications.backfill_max_rate_per_second)")
        since: datetime | None = request.get("since")
        subscription.start_backfill(actor=actor, since=since, rate=float(rate),
                                    start={s: self.last_position(s) for s in SOURCES},
                                    at=self.clock(), ctx=ctx)

    @retry_on_conflict
    def start_backfill(self, subscription_id: UUID, request: dict, *, actor: Actor,
                       ctx: Context) -> Subscription:
        """Backfills an existing subscription (what it already has is not sent again)."""
        subscription = self.get_subscription(subscription_id, actor)
        self.begin_backfill(subscription, request, actor, ctx)
        self.save(subscription)
        return subscription

    @retry_on_conflict
    def cancel_backfill(self, subscription_id: UUID, *, actor: Actor,
                        ctx: Context) -> Subscription:
        """Stops the history; the live events the backfill held back still come."""
        subscription = self.get_subscription(subscription_id, actor)
        subscription.cancel_backfill(actor=actor, at=self.clock(), ctx=ctx)
        self.save(subscription)
        return subscription
