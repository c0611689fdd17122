"""Declarations returned for completion (退回补正): evaluation records the registry's
returns and resubmissions, so that a declaration still incomplete when its batch is
certified is not certified (the DRC returned it for what it lacks, and it never came
back). An aggregate of its own per base (``Completion``), beside the ``Base``."""

from typing import Any, Iterable
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.backbone.eventstore.reactions import reacts_to
from services.backbone.kernel.context import Context, stable_id
from services.backbone.kernel.errors import field_error

INCOMPLETE_REASON = "{batch}申报材料经退回补正后未重新提交，材料不完整，未入选"


class Completion(Aggregate):
    """Whether a declaration waits for its completion after the DRC returned it."""

    @staticmethod
    def create_id(base_id: UUID, **_: Any) -> UUID:
        return stable_id("declaration-completion", base_id)

    @event("Recorded")
    def __init__(self, base_id: UUID, ctx: Context):
        self.base_id = base_id
        self.returned = False

    @event("Returned")
    def returned_for_completion(self, comments: str, ctx: Context) -> None:
        self.returned = True

    @event("Resubmitted")
    def resubmitted(self, ctx: Context) -> None:
        self.returned = False


def check_chosen_complete(chosen: Iterable[UUID] | None, incomplete: set[UUID]) -> None:
    """The DRC's own list names no declaration still returned for completion."""
    named = sorted(str(base_id) for base_id in chosen or () if base_id in incomplete)
    if named:
        raise field_error("base_ids", f"returned for completion and not resubmitted: {', '.join(named)}")


class DeclarationCompleteness:
    """Mixin of ``EvaluationApplication``: the registry's returns, and what is incomplete."""

    @reacts_to("DeclarationReturned")
    def record_declaration_returned(self, event, processing) -> None:
        completion = self._completion(event)
        completion.returned_for_completion(comments=event.payload["comments"],
                                           ctx=self.upstream_context(event))
        processing.collect_events(completion)

    @reacts_to("DeclarationResubmitted")
    def record_declaration_resubmitted(self, event, processing) -> None:
        completion = self._completion(event)
        completion.resubmitted(ctx=self.upstream_context(event))
        processing.collect_events(completion)

    def _completion(self, event) -> Completion:
        base_id = event.payload["base_id"]
        return (self.find(Completion.create_id(base_id), Completion)
                or Completion(base_id=base_id, ctx=self.upstream_context(event)))

    def incomplete_declarations(self, base_ids: Iterable[UUID]) -> set[UUID]:
        """Of ``base_ids``, the declarations returned for completion and not resubmitted."""
        return {base_id for base_id in base_ids
                if (found := self.find(Completion.create_id(base_id), Completion)) is not None
                and found.returned}
