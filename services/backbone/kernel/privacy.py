"""Personal information in events: who may see a base's contact persons.

BaseDeclared carries the names, phones and e-mail addresses of the declaring unit's
contacts. They are shown to those who work with the base: the DRC, the county
government of its region, its competent department, the base's own applicant, and the
platform's services. Everyone else who may read the register or its events (a funding
clerk, an evaluator, ops, another county, a department) gets the event with its
contacts withheld. One rule, used by the registry's read API, the log read over HTTP
(``GET /events``) and notifications' deliveries.
"""

import copy
from uuid import UUID

from services.contracts import CATALOG

from services.backbone.kernel.context import Actor
from services.backbone.kernel.ids import as_uuid


def sees_every_contact(viewer: Actor) -> bool:
    """Whether ``viewer`` may see the contacts of every base (the DRC, the services)."""
    return viewer.role in ("drc", "service")


def may_see_contacts(viewer: Actor, *, base_id: UUID, region: dict, competent_department: str,
                     declared_by: UUID | None) -> bool:
    return (sees_every_contact(viewer)
            or (viewer.role == "county_government" and viewer.governs(region))
            or (viewer.role == "competent_department" and viewer.org == competent_department)
            or (declared_by is not None and viewer.represents(base_id, declared_by))
            or (viewer.role == "applicant" and viewer.speaks_for(base_id)))


def for_viewer(message: dict, viewer: Actor) -> dict:
    """An event envelope (as the broker carries it) as ``viewer`` may read it: the same
    dict when nothing is withheld, otherwise a copy whose personal fields are null and
    whose ``withheld`` lists them (so a reader knows they exist and why they are empty;
    ``load_event(..., allow_withheld=True)`` reads such a copy)."""
    spec = CATALOG.get(message.get("type"))
    fields = spec.personal if spec is not None else ()
    payload = message.get("payload") or {}
    if not fields or not any(payload.get(name) for name in fields):
        return message
    actor = message.get("actor") or {}
    declared_by = actor.get("id") if actor.get("role") == "applicant" else None
    if may_see_contacts(viewer, base_id=as_uuid(payload.get("base_id")), region=payload.get("region") or {},
                        competent_department=payload.get("competent_department"),
                        declared_by=as_uuid(declared_by)):
        return message
    redacted = copy.deepcopy(message)
    for name in fields:
        redacted["payload"][name] = None
    redacted["withheld"] = [f"payload.{name}" for name in fields]
    return redacted
