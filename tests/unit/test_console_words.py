"""A person reads words, not codes: every code a base's page shows (the basis of a
decision, what happened in its timeline) has its Chinese words, so a code added to a
contract or an aggregate without them fails here, not on the page."""

import inspect

import pytest
from eventsourcing.domain import DomainEvent

from services.contracts.evaluation import BASES_OF_DECISION_V2
from services.contracts.vocabulary import DECISION_BASES, EVENT_NAMES
from services.evaluation.domain import Base as EvaluationBase
from services.registry.domain import Base as RegistryBase

LIFECYCLE = {"Event", "Created"}  # the library's own classes, never recorded as such


def test_every_basis_of_a_decision_has_its_words():
    assert set(BASES_OF_DECISION_V2) <= set(DECISION_BASES)


@pytest.mark.parametrize("service, aggregate", [("registry", RegistryBase), ("evaluation", EvaluationBase)])
def test_every_event_of_a_base_has_its_words_in_the_timeline(service, aggregate):
    events = {name for name, value in vars(aggregate).items()
              if inspect.isclass(value) and issubclass(value, DomainEvent)} - LIFECYCLE
    missing = sorted(f"{aggregate.__name__}.{name}" for name in events
                     if (service, f"{aggregate.__name__}.{name}") not in EVENT_NAMES)
    assert not missing, f"vocabulary.EVENT_NAMES lacks the words of {service}'s {missing}"
