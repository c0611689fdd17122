"""Which events a subscription wants, and how long a failed delivery waits. Pure values.

Filter rules (documented in README, "Notifications API"):

- every list is a restriction; an empty list restricts nothing, so an empty filter
  passes every event;
- ``event_types``: the event's type is one of them;
- ``base_ids``, ``kinds``, ``regions`` (a city, or a city and county) narrow the events
  *about a base*, using the facts of its declaration;
- an event about no base (a batch opened or closed) passes a filter that narrows bases
  only when the filter names its type in ``event_types``: asking for 吕梁市's bases
  does not by itself mean asking for every batch announcement.

Who may ask for what is the domain's rule (``domain.may_hear_of``): of the events about
no base, an applicant hears only of the public ones.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Iterable
from uuid import UUID

from services.contracts import CATALOG
from services.contracts.vocabulary import normalise_city


@dataclass(frozen=True)
class BaseFacts:
    """What a filter and a message need to know of a base."""

    base_id: UUID
    name: str
    kind: str
    region: dict
    competent_department: str = ""


@dataclass(frozen=True)
class EventFilter:
    """The events a subscription wants (see the module's rules)."""

    event_types: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    regions: tuple[tuple[str, str | None], ...] = ()
    base_ids: tuple[UUID, ...] = ()

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "EventFilter":
        data = data or {}
        return cls(
            event_types=tuple(sorted(set(data.get("event_types") or ()))),
            kinds=tuple(sorted(set(data.get("kinds") or ()))),
            regions=tuple(sorted({(r["city"], r.get("county") or None)
                                  for r in data.get("regions") or ()},
                                 key=lambda r: (r[0], r[1] or ""))),
            base_ids=tuple(sorted({UUID(str(b)) for b in data.get("base_ids") or ()}, key=str)),
        )

    def as_dict(self) -> dict[str, list]:
        return {
            "event_types": list(self.event_types),
            "kinds": list(self.kinds),
            "regions": [{"city": city, "county": county} for city, county in self.regions],
            "base_ids": list(self.base_ids),
        }

    @property
    def narrows_bases(self) -> bool:
        return bool(self.base_ids or self.kinds or self.regions)

    def admits_type(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types

    def may_match(self, event_type: str, base_id: UUID | None) -> bool:
        """Whether the event could pass once the base's facts are known."""
        return self.admits_type(event_type) and (
            base_id is None or not self.base_ids or base_id in self.base_ids)

    def matches(self, event_type: str, base_id: UUID | None, base: BaseFacts | None) -> bool:
        """Whether an event of ``event_type`` about ``base_id`` (None: about no base) passes.
        ``base`` is the base's facts, None when not known."""
        if not self.admits_type(event_type):
            return False
        if base_id is None:
            return not self.narrows_bases or bool(self.event_types)
        if self.base_ids and base_id not in self.base_ids:
            return False
        if self.kinds and (base is None or base.kind not in self.kinds):
            return False
        if self.regions and (base is None or not any(_within(base.region, r) for r in self.regions)):
            return False
        return True


def _within(region: dict, wanted: tuple[str, str | None]) -> bool:
    city, county = wanted
    return normalise_city(region.get("city")) == normalise_city(city) and (
        county is None or region.get("county") == county)


def about_a_base(event_type: str) -> bool:
    """Whether events of this type name the one base they are about (``base_id`` in the
    payload); the others (a batch, a round's grades of every base, an envelope's caps
    for every base) are about no base, or about many."""
    spec = CATALOG.get(event_type)
    return spec is not None and "base_id" in spec.schemas[spec.current_version]().fields


def subject_of(payload: dict) -> tuple[str, UUID] | None:
    """What an event is about, by its payload: a base, else a batch, else nothing known.
    Deliveries about the same subject keep their order per subscription."""
    for key, kind in (("base_id", "base"), ("batch_id", "batch")):
        value = payload.get(key)
        if value is not None:
            return kind, value if isinstance(value, UUID) else UUID(str(value))
    return None


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long a delivery is retried: ``backoff`` doubling up to
    ``backoff_max``, ``max_attempts`` of the receiver's failures; ours only up to
    ``infrastructure_retry``, to go soon after an outage. ``lease`` must exceed every
    channel's deadline, or a slow attempt would be taken for dead and sent again."""

    max_attempts: int
    backoff: timedelta
    backoff_max: timedelta
    lease: timedelta
    infrastructure_retry: timedelta = timedelta(seconds=30)

    def delay(self, failures: int) -> timedelta:
        """The wait after the ``failures``-th failure (1-based) that is the receiver's."""
        factor = 2 ** max(0, min(failures - 1, 30))
        return min(self.backoff * factor, self.backoff_max)

    def infrastructure_delay(self, failures: int) -> timedelta:
        """The wait after the ``failures``-th consecutive failure of our own side."""
        return min(self.delay(failures), self.infrastructure_retry)

    @classmethod
    def from_config(cls, settings, deadlines: Iterable[float]) -> "RetryPolicy":
        """The policy of the ``notifications`` settings; ``deadlines`` are how long one
        attempt may take on each channel. Refuses, at start-up, a lease that does not
        exceed them."""
        longest = max(deadlines, default=0.0)
        lease = settings.attempt_lease_seconds or 2 * longest + 5
        if lease <= longest:
            raise ValueError(f"notifications.attempt_lease_seconds ({lease}) must exceed the "
                             f"longest deadline of an attempt ({longest})")
        return cls(
            max_attempts=settings.max_attempts,
            backoff=timedelta(seconds=settings.backoff_seconds),
            backoff_max=timedelta(seconds=settings.backoff_max_seconds),
            lease=timedelta(seconds=lease),
            infrastructure_retry=timedelta(seconds=settings.infrastructure_retry_seconds),
        )
