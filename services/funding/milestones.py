"""Milestones of tranches (拨付节点) as named steps, and when a base reaches one. Pure.

A tranche waits for a code of ``MILESTONES``; a request may name it by its code or by
its Chinese words. Funding knows a step is reached from what it records of the base: its
plan filed (PlanFiled), or a decision that kept it after an evaluation round or an
accepted rectification (BaseAdjusted). A tranche logged before the codes holds free
text: it is read and paid as before, on the funding office's word.
"""

from services.backbone.kernel.errors import field_error
from services.contracts.vocabulary import MILESTONES

_BY_NAME = {name: code for code, name in MILESTONES.items()}
PASSING = ("retained", "recommended_national")


def milestone_code(text: str) -> str | None:
    """The code ``text`` names (a code, or its Chinese words), or None."""
    words = " ".join(str(text).split())
    return words if words in MILESTONES else _BY_NAME.get(words)


def require_milestone(field: str, text: str) -> str:
    """The code of a new tranche's milestone, or a refusal naming the accepted steps."""
    code = milestone_code(text)
    if code is None:
        steps = ", ".join(f"{code} ({name})" for code, name in MILESTONES.items())
        raise field_error(field, f"{text!r} is not a milestone; one of: {steps}")
    return code


def reached_by_decision(basis: str, to_status: str) -> str | None:
    """The milestone a decision of evaluation marks, if any."""
    if basis in ("evaluation", "rectification") and to_status in PASSING:
        return "evaluation_passed"
    return None


def check_payable_in_order(tranches: list[dict], tranche: dict, reached: set[str]) -> None:
    """A tranche is paid after every tranche before it, and once its step is reached."""
    for earlier in tranches[:tranches.index(tranche)]:
        if earlier["state"] != "disbursed":
            raise field_error("tranche_id", f"tranche {tranche['tranche_id']} is paid after tranche "
                                            f"{earlier['tranche_id']} ({earlier['milestone']}), "
                                            "which is not paid yet")
    code = tranche["milestone"]
    if code in MILESTONES and code not in reached:
        raise field_error("milestone", f"the milestone {code} ({MILESTONES[code]}) of tranche "
                                       f"{tranche['tranche_id']} is not reached yet by funding's "
                                       "record of the base")
