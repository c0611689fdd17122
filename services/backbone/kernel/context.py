"""Who acts: the authenticated actor, and the context recorded on every domain event.

Pure data, no I/O: domain code takes a ``Context`` and stores it on each event it records,
so the log answers "who did what, when, why" without another table.
"""

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4, uuid5

from services.contracts.vocabulary import ACTOR_ROLES

# Fixed namespace for the platform's name-derived identifiers (uuid5).
PLATFORM_NAMESPACE = UUID("6f1c1a52-6a0f-4d3e-9a55-2c1b7e0d2017")


def stable_id(*parts: Any) -> UUID:
    """A UUID derived from names: the same parts always give the same id."""
    return uuid5(PLATFORM_NAMESPACE, "\x1f".join(str(p) for p in parts))


@dataclass(frozen=True)
class Actor:
    """An authenticated caller: role, and scope where the role has one.

    county_government: ``region`` (city, county). city_government: ``region`` (city,).
    competent_department: ``org`` (the department's name). applicant: ``base_ids`` it
    answers for. department: ``org``.
    """

    id: UUID
    role: str
    name: str = ""
    region: tuple[str, ...] | None = None  # (city, county); a city government: (city,)
    org: str | None = None
    base_ids: tuple[UUID, ...] = field(default_factory=tuple)

    def __post_init__(self):
        if self.role not in ACTOR_ROLES:
            raise ValueError(f"unknown role {self.role!r}")

    def context(self, correlation_id: UUID | None = None) -> "Context":
        return Context(self.id, self.role, self.name, correlation_id or uuid4())

    def speaks_for(self, base_id: UUID) -> bool:
        return base_id in self.base_ids

    def represents(self, base_id: UUID, declared_by: UUID) -> bool:
        """The base's own applicant: the one that declared it, or one whose token names it."""
        return self.role == "applicant" and (self.id == declared_by or self.speaks_for(base_id))

    def governs(self, region: dict[str, str]) -> bool:
        return self.region is not None and self.region == (region["city"], region["county"])

    @property
    def city(self) -> str | None:
        """The city (设区市) a city government's token names: its scope, the city alone."""
        return self.region[0] if self.role == "city_government" and self.region else None


SYSTEM_ACTOR = Actor(id=stable_id("actor", "platform"), role="service", name="平台")


@dataclass(frozen=True)
class Context:
    """Recorded on every domain event: actor id, role, name, and the correlation id that
    ties together everything one request or decision caused across services."""

    actor_id: UUID
    role: str
    name: str
    correlation_id: UUID

    def as_dict(self) -> dict[str, Any]:
        return {
            "actor_id": str(self.actor_id),
            "role": self.role,
            "name": self.name,
            "correlation_id": str(self.correlation_id),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Context":
        return cls(UUID(data["actor_id"]), data["role"], data["name"], UUID(data["correlation_id"]))
