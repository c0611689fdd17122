"""Status recomputed from the whole history under another adjustment policy. Pure.

Walks evaluation's log in order and decides again, under policy P, everything a policy
decides: each closed round's grades, each accepted rectification (which only counts if
the base is warned under P and within P's deadline) and each deadline (P's deadline,
passed without acceptance). Selection, and decisions entered from government documents, are not a policy matter
and are kept as recorded.
The result says, for every base, the status of record and the status P leads to.

What cannot be replayed is named rather than invented: a base that P keeps in good
standing after it was actually revoked was never graded again, so it has no later
grades to decide on.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable
from uuid import UUID

from services.contracts.vocabulary import ACTIVE_STATUSES

from .domain import Base, Round
from .effective import status_in_effect
from .policy import AdjustmentPolicy, Decision, Graded, round_results


@dataclass
class Replay:
    """One base's history: as recorded, and as policy P would have decided it."""

    base_id: UUID
    name: str
    recorded: list[Decision] = field(default_factory=list)
    decided: list[Decision] = field(default_factory=list)
    deadline: datetime | None = None
    opened: dict[UUID, str] = field(default_factory=dict)  # status under P when a round opened

    @property
    def status_now(self) -> str:
        return status_in_effect(self.recorded)  # in order of effective date, as of record

    @property
    def status_under_policy(self) -> str:
        return status_in_effect(self.decided)

    def decide(self, decision: Decision) -> None:
        self.decided.append(decision)
        self.deadline = decision.rectification_deadline if decision.to_status == "warned" else None


def recompute(events: Iterable, policy: AdjustmentPolicy, now: datetime) -> dict[UUID, Replay]:
    """Every base's replay under ``policy``, from evaluation's events in log order."""
    bases: dict[UUID, Replay] = {}
    for event in events:
        if (when := moment(event)) is not None:
            _expire_deadlines(bases, policy, before=when)
        if isinstance(event, Base.DeclarationReceived):
            bases[event.originator_id] = Replay(event.originator_id, event.name)
        elif isinstance(event, Base.Adjusted):
            _recorded(bases[event.originator_id], event, policy)
        elif isinstance(event, Round.Opened):
            for base in event.bases:
                replay = bases[base["base_id"]]
                replay.opened[event.originator_id] = replay.status_under_policy
        elif isinstance(event, Round.Closed):
            results = policy.capped(round_results(event.originator_id, event.name, event.grades))
            for grade in event.grades:
                _graded(bases[grade["base_id"]], event, results[grade["base_id"]], policy)
    _expire_deadlines(bases, policy, before=now)
    return bases


def _graded(replay: Replay, event, result: Graded, policy: AdjustmentPolicy) -> None:
    """What P decides on a base a round graded (under P's cap), from the status P had
    put it in."""
    status = replay.status_under_policy
    if status not in ACTIVE_STATUSES:
        return
    replay.decide(policy.evaluate(status, result, event.closed_at,
                                  opened_status=replay.opened.get(event.originator_id),
                                  deadline=replay.deadline))


def moment(event) -> datetime | None:
    """When a decision point took effect on the service's clock (a round's closing, a
    decision); deadlines are checked at these points and at the end."""
    return getattr(event, "closed_at", None) or getattr(event, "decided_at", None)


def _recorded(replay: Replay, event, policy: AdjustmentPolicy) -> None:
    decision = Decision(**{k: getattr(event, k, None) for k in Decision.__dataclass_fields__})
    replay.recorded.append(decision)
    if decision.basis in ("selection", "record"):
        replay.decide(decision)  # not a policy matter: selection, or a government document
    elif decision.basis == "rectification" and replay.status_under_policy == "warned" \
            and replay.deadline is not None and (moment(event) or event.timestamp) <= replay.deadline:
        replay.decide(policy.rectified(replay.deadline, note="", at=moment(event) or event.timestamp))
    # evaluation and deadline decisions are what P decides itself (rounds, deadlines)


def _expire_deadlines(bases: dict[UUID, Replay], policy: AdjustmentPolicy, before: datetime) -> None:
    for replay in bases.values():
        if replay.status_under_policy == "warned" and replay.deadline is not None \
                and replay.deadline < before:
            replay.decide(policy.missed(replay.deadline))


def changes(bases: dict[UUID, Replay]) -> list[dict]:
    """The bases whose status would differ, with both histories' last decisions."""
    rows = []
    for replay in sorted(bases.values(), key=lambda r: r.name):
        rows.append({
            "base_id": replay.base_id, "name": replay.name,
            "status_now": replay.status_now, "status_under_policy": replay.status_under_policy,
            "changed": replay.status_now != replay.status_under_policy,
            "decisions_under_policy": [d.as_dict() for d in replay.decided],
        })
    return rows
