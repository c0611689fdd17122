"""What ``sc token`` needs beside a role: the scope that the services' rules read.

A county government's token without its region, or an applicant's without its unit,
is accepted by every service and then refused at each scoped step (403 far from the
cause), so ``sc token`` refuses to issue one and says which option is missing."""

from uuid import UUID

from services.contracts.vocabulary import CITIES

# role -> (the option that gives its scope, what it is)
REQUIRED = {
    "county_government": ("--region", "CITY/COUNTY of the county government, e.g. 太原市/小店区"),
    "competent_department": ("--org", "the competent department's name, e.g. 省教育厅"),
    "department": ("--org", "the department's name, e.g. 省科技厅"),
    "applicant": ("--org", "the unit it declares for, e.g. 山西大学"),
    "evaluator": ("--evaluator-id", "the evaluator_id that POST /evaluators returned"),
}


class ScopeMissing(ValueError):
    """A scoped role without its scope, or a scope of the wrong shape; the message says
    which option to give."""


def region_of(value: str | None) -> tuple[str, str] | None:
    """``CITY/COUNTY`` as the token's region claim; the city one of Shanxi's 11."""
    if value is None:
        return None
    city, _, county = (part.strip() for part in value.partition("/"))
    if not county:
        raise ScopeMissing("--region is CITY/COUNTY, e.g. 吕梁市/孝义市")
    if city not in CITIES:
        raise ScopeMissing(f"--region: {city} is not one of Shanxi's cities ({' '.join(CITIES)})")
    return city, county


def actor_id_of(role: str, actor_id: str | None, evaluator_id: str | None) -> UUID | None:
    """The token's subject: an evaluator acts under its evaluator id (``--evaluator-id``,
    or ``--actor-id``, the same thing); anyone else under ``--actor-id`` or a new id."""
    if evaluator_id and role != "evaluator":
        raise ScopeMissing("--evaluator-id is for --role evaluator only")
    given = evaluator_id or actor_id
    try:
        return UUID(given) if given else None
    except ValueError:
        raise ScopeMissing(f"not a UUID: {given}") from None


def check(role: str, *, region, org, evaluator_id) -> None:
    """Raises ScopeMissing when ``role`` needs a scope that was not given."""
    if role not in REQUIRED:
        return
    option, meaning = REQUIRED[role]
    given = {"--region": region, "--org": org, "--evaluator-id": evaluator_id}[option]
    if not given:
        raise ScopeMissing(f"--role {role} needs {option}: {meaning}")
