"""The deadline clock: named moments at which a service is to act (a public notice's
period ending, later a yearly cycle's reminders), kept in the service's own log.

A ``Deadline`` is an aggregate: set with its due time, the action to run (a name the
application maps to a method) and that action's arguments; fired once; or cancelled.
A restart loses nothing (the schedule is folded from the log), and firing is recorded
as an event saved with whatever the action changed, in one commit: two instances firing
the same deadline conflict on its version, and only one commit stands. The clock is the
application's ``clock``, set by tests and the demo.
"""

import logging
from datetime import datetime
from typing import Any, Callable
from uuid import UUID

from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError

from services.backbone.eventstore.views import View
from services.backbone.kernel.context import SYSTEM_ACTOR, Context, stable_id
from services.backbone.kernel.errors import Conflict

log = logging.getLogger(__name__)


class Deadline(Aggregate):
    """A named moment, what is to happen then, and whether it has happened."""

    @staticmethod
    def create_id(name: str, **_: Any) -> UUID:
        return stable_id("deadline", name)

    @event("Set")
    def __init__(self, name: str, due_at: datetime, action: str, args: dict, ctx: Context):
        self.name = name
        self.due_at = due_at
        self.action = action
        self.args = args
        self.fired_at: datetime | None = None
        self.cancelled = False

    @property
    def pending(self) -> bool:
        return self.fired_at is None and not self.cancelled

    def fire(self, at: datetime, ctx: Context) -> None:
        if not self.pending:
            raise Conflict(f"Deadline {self.name} has already fired or was cancelled.")
        self._fired(fired_at=at, ctx=ctx)

    @event("Fired")
    def _fired(self, fired_at: datetime, ctx: Context) -> None:
        self.fired_at = fired_at

    def cancel(self, reason: str, ctx: Context) -> None:
        """Nothing is to happen any more (e.g. the notice was concluded by hand)."""
        if self.pending:
            self._cancelled(reason=reason, ctx=ctx)

    @event("Cancelled")
    def _cancelled(self, reason: str, ctx: Context) -> None:
        self.cancelled = True


class DeadlineSchedule(View):
    """The deadlines still pending, by id."""

    def __init__(self):
        self.reset()

    def reset(self) -> None:
        self.pending: dict[UUID, dict] = {}

    def apply(self, domain_event) -> None:
        if isinstance(domain_event, Deadline.Set):
            self.pending[domain_event.originator_id] = {
                "deadline_id": domain_event.originator_id, "name": domain_event.name,
                "due_at": domain_event.due_at, "action": domain_event.action}
        elif isinstance(domain_event, (Deadline.Fired, Deadline.Cancelled)):
            self.pending.pop(domain_event.originator_id, None)

    def due(self, now: datetime) -> list[dict]:
        return sorted((d for d in self.pending.values() if d["due_at"] <= now),
                      key=lambda d: (d["due_at"], d["name"]))


class DeadlineClock:
    """Mixin of a service's application: sets deadlines and fires those due. The
    application lists ``DeadlineSchedule()`` among its views and maps each action name
    to a method in ``deadline_actions``; a method takes the deadline's arguments and a
    context, and returns the aggregates it changed (saved with the firing)."""

    deadline_actions: dict[str, str] = {}

    def set_deadline(self, *, name: str, due_at: datetime, action: str, args: dict,
                     ctx: Context) -> Deadline:
        """A new deadline, for the caller to save with what it belongs to."""
        if action not in self.deadline_actions:
            raise ValueError(f"no deadline action {action!r} in {type(self).__name__}")
        if due_at.tzinfo is None:
            raise ValueError("a deadline's time carries its timezone")
        return Deadline(name=name, due_at=due_at, action=action, args=args, ctx=ctx)

    def pending_deadlines(self) -> list[dict]:
        return sorted(self.views[DeadlineSchedule].pending.values(), key=lambda d: d["due_at"])

    def fire_due_deadlines(self, ctx: Context | None = None) -> list[str]:
        """Fires every deadline due on the clock, each in a commit of its own (one that
        fails or that another instance fired meanwhile leaves the others to fire).
        Returns the names of the deadlines fired here."""
        ctx = ctx or SYSTEM_ACTOR.context()
        now, fired = self.clock(), []
        for row in self.views[DeadlineSchedule].due(now):
            deadline = self.repository.get(row["deadline_id"])
            if not deadline.pending:
                continue
            action: Callable = getattr(self, self.deadline_actions[deadline.action])
            try:
                changed = action(**deadline.args, ctx=ctx)
            except Exception:  # one that cannot act now must not keep the others waiting
                log.exception("deadline %s could not fire; it stays pending", deadline.name)
                continue
            deadline.fire(at=now, ctx=ctx)
            try:
                self.save(deadline, *changed)
            except IntegrityError:
                continue  # fired by another instance, or what it changed moved: next time
            fired.append(deadline.name)
        return fired
