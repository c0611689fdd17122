"""Conflicts of interest, and the names evaluators are known by. Pure, no I/O.

An evaluator does not judge a base of its own city, nor one whose unit, competent
department or county government it belongs to, nor one it declared a conflict with:
the assignment is refused saying which (``conflict_of_interest``).
"""

from typing import TYPE_CHECKING

from services.contracts.text import comparison_key

if TYPE_CHECKING:
    from .domain import Base, Evaluator


def plain_name(name: str) -> str:
    """The form of a name ids are derived from (they are in tokens and logs and never
    change); whether a name is taken is decided by its comparison key."""
    return " ".join(name.split())


def evaluator_key(name: str, organisation: str) -> str:
    """Who an evaluator is, as registrations compare it: the person and their body."""
    return f"{comparison_key(name)}\x1f{comparison_key(organisation)}"


def conflict_of_interest(evaluator: "Evaluator", base: "Base") -> str | None:
    """Why ``evaluator`` may not judge ``base``, in words, or None: it comes from the
    base's city, or it is the base's own unit, its competent department or its county
    government (names compared by key), or it declared a conflict with the base or its
    unit."""
    who = f"{evaluator.name} ({evaluator.organisation})"
    if evaluator.shares_region_with(base.region):
        return f"{who} is from {base.region['city']}, the base's own city: conflict of interest"
    organisation = comparison_key(evaluator.organisation)
    if organisation == comparison_key(base.name):
        return f"{who} is of {base.name}, the base's own unit: conflict of interest"
    if organisation == comparison_key(base.competent_department):
        return (f"{who} is of {base.competent_department}, the base's competent department: "
                "conflict of interest")
    if organisation in county_government_keys(base.region):
        return (f"{who} is the government of {base.region['county']}, where the base is: "
                "conflict of interest")
    declared = evaluator.declared_conflict(base.id, base.name)
    if declared is not None:
        return f"{who} declared a conflict of interest with {base.name}: {declared['reason']}"
    return None


def county_government_keys(region: dict) -> set[str]:
    """The names a county-level unit's government goes by (高平市人民政府, 晋城市高平市
    人民政府, 高平市政府, or the unit's own name), as comparison keys."""
    city, county = region.get("city") or "", region.get("county") or ""
    names = {county, f"{city}{county}"}
    names |= {f"{name}{suffix}" for name in tuple(names) for suffix in ("人民政府", "政府")}
    return {comparison_key(name) for name in names if name}
