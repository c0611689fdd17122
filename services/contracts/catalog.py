"""The catalogue of integration events: type, source service, schema per version, upcasters.

A contract module declares a payload schema with ``@contract("BaseDeclared", source=...,
version=1)``. A later version registers its own schema and an ``@upcaster`` from the
version before it, so that old events read from a log and old messages still waiting on
the broker are both brought up to the current version when loaded.
"""

from dataclasses import dataclass, field
from typing import Callable

from marshmallow import Schema


@dataclass
class ContractSpec:
    """Everything known about one integration event type."""

    type: str
    source: str
    schemas: dict[int, type[Schema]] = field(default_factory=dict)
    upcasters: dict[int, Callable[[dict], dict]] = field(default_factory=dict)
    description: str = ""
    example: dict = field(default_factory=dict)  # a real payload at the current version
    personal: tuple[str, ...] = ()  # payload fields with personal data, withheld from some readers
    deliverable: bool = True  # False: for the platform's services only, never to a subscription

    @property
    def current_version(self) -> int:
        return max(self.schemas)

    @property
    def routing_key(self) -> str:
        return self.type


CATALOG: dict[str, ContractSpec] = {}


def contract(event_type: str, *, source: str, version: int = 1, example: dict | None = None,
             personal: tuple[str, ...] = (), deliverable: bool = True):
    """Registers a payload schema as version ``version`` of ``event_type``, with an
    example payload (docs/events.md shows it; a test loads it with the schema) and the
    fields that hold personal data (``personal``, at the current version)."""

    def register(schema_cls: type[Schema]) -> type[Schema]:
        spec = CATALOG.setdefault(event_type, ContractSpec(event_type, source))
        if spec.source != source:
            raise ValueError(f"{event_type} is published by {spec.source}, not {source}")
        if version in spec.schemas:
            raise ValueError(f"{event_type} v{version} is registered twice")
        spec.schemas[version] = schema_cls
        if version == spec.current_version:
            spec.description = (schema_cls.__doc__ or "").strip()
            spec.example = example or spec.example
            spec.personal = tuple(personal)
            spec.deliverable = deliverable
        return schema_cls

    return register


def upcaster(event_type: str, from_version: int):
    """Registers a function turning a v``from_version`` payload (already loaded) into
    a v``from_version + 1`` payload, as plain data."""

    def register(fn: Callable[[dict], dict]) -> Callable[[dict], dict]:
        CATALOG[event_type].upcasters[from_version] = fn
        return fn

    return register


def spec_for(event_type: str) -> ContractSpec:
    return CATALOG[event_type]


def types_published_by(source: str) -> list[str]:
    return sorted(t for t, spec in CATALOG.items() if spec.source == source)
