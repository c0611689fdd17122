"""Starting and cancelling a subscription's backfill, and the live path's side of the
hand-over: an event of a source the backfill has not handed over is left to it, and
that is written on the source's ``BackfillFence`` in the live transaction, so that a
hand-over decided at the same moment in any process is refused (or refuses this
transaction, which is then applied again and delivers the event itself).
"""

from uuid import UUID

from services.backbone.eventstore.application import retry_on_conflict
from services.backbone.kernel.context import Actor, Context
from services.backbone.kernel.errors import field_error

from . import backfill_state
from .domain import BackfillFence, Subscription
from .matching import subject_of

SOURCES = ("registry", "evaluation", "funding")  # the logs notifications consumes


class BackfillCommands:
    """Mixin of the notifications application: backfill commands, and the live path's
    side of the hand-over."""

    backfill_rate = 20.0  # events a second, unless the request or the settings say
    backfill_max_rate = 100.0  # the most a request may ask for

    def configure_backfills(self, settings) -> None:
        """The pace of backfills; refuses at start-up a default beyond the bound."""
        rate, bound = settings.backfill_rate_per_second, settings.backfill_max_rate_per_second
        if not 0 < rate <= bound:
            raise ValueError(f"notifications.backfill_rate_per_second ({rate}) must be above 0 "
                             f"and at most backfill_max_rate_per_second ({bound})")
        self.backfill_rate, self.backfill_max_rate = rate, bound

    def held_for_backfill(self, candidate, event, processing) -> bool:
        """Whether the live path leaves ``event`` to ``candidate``'s backfill; if so,
        says so on the source's fence, in this transaction."""
        state = candidate.backfill
        if not backfill_state.defers(state, event.source, event.position):
            return False
        subject = subject_of(event.payload)
        if not candidate.filter.may_match(event.type, subject[1] if subject and subject[0] == "base" else None):
            return False  # not for this subscription anyway: nothing to hold, nor to write
        fence_id = BackfillFence.create_id(candidate.subscription_id, event.source, state["number"])
        fence = processing.aggregates.get(fence_id) or self.require(fence_id, BackfillFence, "fence")
        if fence.handed_over:
            return False  # handed over since the directory was read
        fence.defer(position=event.position, ctx=self.upstream_context(event))
        processing.collect_events(fence)
        return True

    # -- commands ----------------------------------------------------------------------------

    def begin_backfill(self, subscription: Subscription, request: dict, actor: Actor,
                       ctx: Context) -> list[BackfillFence]:
        """Records the start of a backfill on ``subscription`` (not saved): from where
        each source's live events begin for it, since when, how fast; returns the
        sources' fences, to be saved with it."""
        rate = request.get("rate") or self.backfill_rate
        if rate > self.backfill_max_rate:
            raise field_error("backfill.rate", f"at most {self.backfill_max_rate:g} events a "
                                               "second (notifications.backfill_max_rate_per_second)")
        return subscription.start_backfill(actor=actor, since=request.get("since"), rate=float(rate),
                                           start={s: self.last_position(s) for s in SOURCES},
                                           at=self.clock(), ctx=ctx)

    @retry_on_conflict
    def start_backfill(self, subscription_id: UUID, request: dict, *, actor: Actor,
                       ctx: Context) -> Subscription:
        """Backfills an existing subscription (what it already has is not sent again)."""
        subscription = self.get_subscription(subscription_id, actor)
        self.save(subscription, *self.begin_backfill(subscription, request, actor, ctx))
        return subscription

    @retry_on_conflict
    def cancel_backfill(self, subscription_id: UUID, *, actor: Actor,
                        ctx: Context) -> Subscription:
        """Stops the history; the live events the backfill held back still come."""
        subscription = self.get_subscription(subscription_id, actor)
        subscription.cancel_backfill(actor=actor, at=self.clock(), ctx=ctx)
        self.save(subscription)
        return subscription
