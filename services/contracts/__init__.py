"""The published language of the platform: integration events and their envelope.

Departments read this package (and docs/events.md) to consume our events. It imports
nothing else of ours.
"""

from . import annual, evaluation, funding, national, notices, registry, reminders, reviews  # noqa: F401  (registers the contracts)
from .catalog import CATALOG, ContractSpec, spec_for, types_published_by
from .envelope import (
    ActorRef,
    ContractViolation,
    IntegrationEvent,
    load_event,
    new_event,
)

__all__ = [
    "CATALOG",
    "ActorRef",
    "ContractSpec",
    "ContractViolation",
    "IntegrationEvent",
    "load_event",
    "new_event",
    "spec_for",
    "types_published_by",
]
