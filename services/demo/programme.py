"""What the demo knows as the story goes: the bases it declared, the batches, evaluators,
rounds and money it created, and the progress lines it prints."""

import sys
import time
from dataclasses import dataclass, field
from typing import Callable, TextIO

from .actors import Api, Cast, Person


@dataclass
class DeclaredBase:
    """A base the demo declared, with the applicant that answers for it."""

    base_id: str
    name: str
    kind: str
    region: dict
    competent_department: str
    batch: str
    applicant: Person


@dataclass
class Programme:
    """The shared state of one demo run, and its progress output."""

    api: Api
    cast: Cast
    out: TextIO = sys.stderr
    started: float = field(default_factory=time.monotonic)
    bases: dict[str, DeclaredBase] = field(default_factory=dict)  # by name
    batches: dict[str, str] = field(default_factory=dict)  # name -> batch id
    evaluators: dict[str, str] = field(default_factory=dict)  # name -> evaluator id
    rubrics: dict[str, list[str]] = field(default_factory=dict)  # kind -> dimensions
    subscriptions: list[dict] = field(default_factory=list)
    envelope_id: str | None = None
    allocations: dict[str, dict] = field(default_factory=dict)  # base name -> allocation
    rounds: dict[str, str] = field(default_factory=dict)  # name -> round id
    decisions: dict[str, list[dict]] = field(default_factory=dict)  # occasion -> decisions
    restart: Callable[..., None] = lambda name, **extra: None  # the launcher's: a service again

    def step(self, text: str) -> None:
        """One progress line: elapsed time, the step, its counts, HTTP calls so far."""
        elapsed = time.monotonic() - self.started
        print(f"[{elapsed:5.1f}s] {text}  ({self.api.calls} 次接口调用)", file=self.out, flush=True)

    def in_batch(self, batch: str) -> list[DeclaredBase]:
        return [base for base in self.bases.values() if base.batch == batch]

    def base_of(self, row: dict) -> DeclaredBase:
        """The base a service's row (a decision, a round's base) is about, by its id: the
        services keep names as the text policy reads them, the demo's data as the annex
        writes them."""
        return next(base for base in self.bases.values() if base.base_id == str(row["base_id"]))

    def named(self, names) -> list[DeclaredBase]:
        return [self.bases[name] for name in names]

    @property
    def drc(self) -> Person:
        return self.cast.drc
