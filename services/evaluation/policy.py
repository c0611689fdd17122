"""Decisions on a base's status, the adjustment policy (动态调整), and ``derive_status``.
Pure, no I/O.

A base's status is never stored and edited: it is what its decisions, in order, lead
to (``derive_status``). Decisions come from selection (certified / not selected), from
an evaluation round's grades under a versioned adjustment policy (retained, warned with
a rectification deadline, revoked, recommended for national level), from the DRC
accepting a rectification, and from a rectification deadline passing.

The adjustment policy is a data file in ``policies/`` named after its version, so that
changing the rules is a new version, and "what would the new rules have decided" is a
question the log can answer (``what_if``) without rewriting history.
"""

from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any, Iterable, Mapping
from uuid import UUID

from services.contracts.vocabulary import ACTIVE_STATUSES, GRADES, STATUSES

from .rubric import RubricError

# China has kept UTC+8 without daylight saving since 1991: deadlines fall at the end of
# a day in Beijing time, as officials write them (整改期限：2018年12月31日).
BEIJING = timezone(timedelta(hours=8), "CST")
ADJUSTED = ("retained", "warned", "revoked", "recommended_national")

# Which decision may follow which status. Selection decides a declared base once;
# afterwards only evaluation, rectification and deadlines move a base in good standing.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "declared": ("certified", "not_selected"),
    **{status: ADJUSTED for status in ACTIVE_STATUSES},
    "not_selected": (),
    "revoked": (),
}


# What section 五 of the programme fixes, whatever a version of the policy says: a base
# that misses its rectification deadline loses the title, and a rectification the DRC
# accepts restores good standing (it is not a promotion).
PROGRAMME_OUTCOMES = {"rectification_accepted": "retained", "deadline_missed": "revoked"}
PROGRAMME_REASONS = {
    "rectification_accepted": "an accepted rectification restores good standing, no more",
    "deadline_missed": "a base that does not rectify in time is revoked",
}
# Decisions after evaluation, worst first: a better grade never leads further down.
SEVERITY = ("revoked", "warned", "retained", "recommended_national")
FAILING_GRADE = "unqualified"


class InconsistentHistory(ValueError):
    """A decision that does not follow from the status before it (a bug, never data)."""


@dataclass(frozen=True)
class Decision:
    """One decision on a base's status, with everything the BaseAdjusted event says."""

    from_status: str
    to_status: str
    reason: str
    basis: str
    batch_id: UUID | None = None
    round_id: UUID | None = None
    score: Decimal | None = None
    grade: str | None = None
    rubric_version: str | None = None
    policy_version: str | None = None
    rectification_deadline: datetime | None = None
    decided_at: datetime | None = None  # when it was taken, on the service's clock
    effective_on: date | None = None  # the date it takes effect (its document's date)
    document_number: str | None = None  # 文号, once published
    document: dict | None = None  # {"sha256", "name"} of the published document

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def derive_status(decisions: Iterable[Any]) -> str:
    """The status a history of decisions (anything with from_status and to_status, in
    the order taken) leads to; ``declared`` before any decision."""
    status = "declared"
    for decision in decisions:
        if decision.from_status != status or decision.to_status not in TRANSITIONS[status]:
            raise InconsistentHistory(
                f"a decision {decision.from_status} -> {decision.to_status} cannot follow {status}")
        status = decision.to_status
    return status


def may_follow(status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(status, ())


def open_rectification(decisions: Iterable[Any]) -> datetime | None:
    """The rectification deadline of a base that is warned now (None otherwise)."""
    last = None
    for decision in decisions:
        last = decision
    if last is None or last.to_status != "warned":
        return None
    return last.rectification_deadline


def end_of_day_after(moment: datetime, days: int) -> datetime:
    """23:59:59 Beijing time, ``days`` days after the (Beijing) day of ``moment``."""
    day = moment.astimezone(BEIJING).date() + timedelta(days=days)
    return datetime.combine(day, time(23, 59, 59), BEIJING)


def chinese_date(moment: datetime) -> str:
    local = moment.astimezone(BEIJING)
    return f"{local.year}年{local.month}月{local.day}日"


@dataclass(frozen=True)
class Graded:
    """A base's result in a closed evaluation round: what a policy decides on."""

    round_id: UUID
    round_name: str
    score: Decimal
    grade: str
    rubric_version: str
    note: str = ""  # why the grade is not the rubric's (the cap on 优秀)


# The grade a base over the cap on 优秀 gets instead: the next one down.
CAPPED_TO = "good"


def cap_excellent(results: Mapping[UUID, Graded], cap: Decimal | None) -> dict[UUID, Graded]:
    """At most ``cap`` of the round's graded bases (rounded down) stay 优秀: when more
    earned it, the lowest-scored of them are graded 良好, each with the reason. Ties at
    the cut keep the cut where the scores put it, and the base id breaks them, so the
    same round always caps the same bases (a rerun, what-if)."""
    results = dict(results)
    if cap is None:
        return results
    allowed = int(cap * len(results))
    excellent = sorted((r for r in results.items() if r[1].grade == "excellent"),
                       key=lambda item: (-item[1].score, str(item[0])))
    for rank, (base_id, result) in enumerate(excellent[allowed:], start=allowed + 1):
        note = (f"评分列本轮优秀第 {rank} 名，超出优秀比例上限 {(cap * 100).normalize():f}%"
                f"（{len(results)} 个基地至多 {allowed} 个优秀），评为{GRADES[CAPPED_TO]}")
        results[base_id] = replace(result, grade=CAPPED_TO, note=note)
    return results


def round_results(round_id: UUID, round_name: str, grades: Iterable[Mapping]) -> dict[UUID, Graded]:
    """A closed round's grades as the rubric gave them, for another policy to decide on
    (what-if, recompute): a grade the cap lowered (it has a ``note``) was 优秀, and the
    other policy applies its own cap, if any (``AdjustmentPolicy.capped``)."""
    return {row["base_id"]: Graded(round_id=round_id, round_name=round_name, score=row["score"],
                                   grade="excellent" if row.get("note") else row["grade"],
                                   rubric_version=row["rubric_version"])
            for row in grades}


def _share(value: Any, source: str) -> Decimal | None:
    """A policy's excellent_cap: a share above 0 and at most 1 (absent in old versions)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise RubricError(f"{source}: excellent_cap must be a share, such as 0.30")
    try:
        share = Decimal(str(value))
    except ArithmeticError:
        raise RubricError(f"{source}: excellent_cap must be a share, such as 0.30") from None
    if not Decimal(0) < share <= Decimal(1):
        raise RubricError(f"{source}: excellent_cap must be above 0 and at most 1, not {value}")
    return share


@dataclass(frozen=True)
class AdjustmentPolicy:
    """A validated version of the rules that turn grades into decisions."""

    version: str
    title: str
    rectification_days: int
    outcomes: Mapping[str, str]
    when_warned: Mapping[str, str]
    rectification_accepted: str
    deadline_missed: str
    excellent_cap: Decimal | None = None  # the largest share of a round graded 优秀 (None: no cap)

    @classmethod
    def from_data(cls, data: Mapping[str, Any], *, source: str = "policy") -> "AdjustmentPolicy":
        """Builds a policy from its file's data, refusing one that leaves a grade
        undecided or decides something a base in good standing cannot become."""
        if not isinstance(data, Mapping):
            raise RubricError(f"{source}: not a mapping")
        keys = ("version", "title", "rectification_days", "outcomes", "rectification_accepted",
                "deadline_missed")
        if missing := [k for k in keys if k not in data]:
            raise RubricError(f"{source}: missing {', '.join(missing)}")
        outcomes = _grade_map(data["outcomes"], source, "outcomes", complete=True)
        when_warned = _grade_map(data.get("when_warned") or {}, source, "when_warned")
        days = data["rectification_days"]
        if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 730:
            raise RubricError(f"{source}: rectification_days must be a whole number of days, 1 to 730")
        for key, required in PROGRAMME_OUTCOMES.items():
            if data[key] != required:
                raise RubricError(f"{source}: {key} must be {required}, not {data[key]!r}: "
                                  f"{PROGRAMME_REASONS[key]}")
        check_grades_in_order(outcomes, when_warned, source)
        cap = _share(data.get("excellent_cap"), source)
        return cls(excellent_cap=cap, version=str(data["version"]), title=str(data["title"]),
                   rectification_days=days, outcomes=outcomes, when_warned=when_warned,
                   rectification_accepted=data["rectification_accepted"],
                   deadline_missed=data["deadline_missed"])

    def capped(self, results: Mapping[UUID, Graded]) -> dict[UUID, Graded]:
        """The round's results with the cap on 优秀 applied (``cap_excellent``)."""
        return cap_excellent(results, self.excellent_cap)

    def evaluate(self, status: str, result: Graded, at: datetime, *,
                 opened_status: str | None = None, deadline: datetime | None = None) -> Decision:
        """The decision on a base in good standing after a round graded it.

        The rules for a warned base (``when_warned``) judge its rectification, so they
        apply only to a base that was already warned when the round opened
        (``opened_status``, by default its status now). A base warned meanwhile, by
        another round, is graded as a base in good standing would be: 不合格 keeps it
        warned under the deadline it has (``deadline``) instead of revoking it minutes
        after its warning, before it could rectify anything."""
        warned_then = status == "warned" and (opened_status or status) == "warned"
        to_status = self.outcomes[result.grade]
        if warned_then:
            to_status = self.when_warned.get(result.grade, to_status)
        kept = to_status == status == "warned" and not warned_then and deadline is not None
        if to_status != "warned":
            deadline = None
        elif not kept:
            deadline = end_of_day_after(at, self.rectification_days)
        return Decision(
            from_status=status, to_status=to_status,
            reason=_evaluation_reason(status, to_status, result, deadline, warned_then, kept),
            basis="evaluation", round_id=result.round_id, score=result.score,
            grade=result.grade, rubric_version=result.rubric_version,
            policy_version=self.version, rectification_deadline=deadline, decided_at=at)

    def rectified(self, deadline: datetime, note: str, at: datetime) -> Decision:
        """The DRC accepted a warned base's rectification before its deadline."""
        reason = f"整改已于期限（{chinese_date(deadline)}）前通过省发展改革委验收"
        return Decision(from_status="warned", to_status=self.rectification_accepted,
                        reason=f"{reason}：{note}" if note else reason, basis="rectification",
                        policy_version=self.version, rectification_deadline=deadline,
                        decided_at=at)

    def missed(self, deadline: datetime) -> Decision:
        """A warned base whose rectification deadline passed without acceptance."""
        return Decision(from_status="warned", to_status=self.deadline_missed,
                        reason=f"未在整改期限（{chinese_date(deadline)}）前完成整改并通过验收，"
                               f"{_OUTCOME[self.deadline_missed]}",
                        basis="deadline", policy_version=self.version,
                        rectification_deadline=deadline, decided_at=deadline)


_OUTCOME = {
    "retained": "保留省级双创示范基地资格",
    "warned": "予以警示并限期整改",
    "revoked": "撤销省级双创示范基地资格",
    "recommended_national": "推荐申报国家级双创示范基地",
}


def _evaluation_reason(status: str, to_status: str, result: Graded, deadline: datetime | None,
                       warned_then: bool, kept: bool) -> str:
    finding = f"{result.round_name}结果为{GRADES[result.grade]}（{result.score}分）"
    if result.note:
        finding += f"（{result.note}）"
    if warned_then:
        finding = f"警示整改期间，{finding}"
    elif status == "warned":
        finding += "；本轮开始时该基地尚未被警示，按未警示基地评定"
    if kept:
        return f"{finding}，维持警示整改，整改期限仍至{chinese_date(deadline)}"
    outcome = _OUTCOME[to_status]
    if deadline is not None:
        outcome += f"，整改期限至{chinese_date(deadline)}"
    return f"{finding}，{outcome}"


def check_grades_in_order(outcomes: Mapping[str, str], when_warned: Mapping[str, str],
                          source: str) -> None:
    """Refuses a policy whose decisions contradict the grades: 不合格 keeping or promoting
    a base, a better grade leading to a worse decision than a lower one, or a warned
    base doing better than one in good standing with the same grade."""
    warned = {grade: when_warned.get(grade, outcomes[grade]) for grade in GRADES}
    for key, decided in (("outcomes", outcomes), ("when_warned", warned)):
        if SEVERITY.index(decided[FAILING_GRADE]) > SEVERITY.index("warned"):
            raise RubricError(f"{source}: {key}.{FAILING_GRADE} is {decided[FAILING_GRADE]!r}: "
                              "a base graded 不合格 is warned or revoked")
        ordered = list(reversed(GRADES))  # worst grade first
        for worse, better in zip(ordered, ordered[1:]):
            if SEVERITY.index(decided[better]) < SEVERITY.index(decided[worse]):
                raise RubricError(f"{source}: {key}.{better} ({decided[better]}) is worse than "
                                  f"{key}.{worse} ({decided[worse]}): a better grade never leads "
                                  "to a worse decision")
    for grade in when_warned:
        if SEVERITY.index(warned[grade]) > SEVERITY.index(outcomes[grade]):
            raise RubricError(f"{source}: when_warned.{grade} ({warned[grade]}) is better than "
                              f"outcomes.{grade} ({outcomes[grade]}): a warning never helps a base")


def _grade_map(data: Any, source: str, key: str, complete: bool = False) -> dict[str, str]:
    if not isinstance(data, Mapping):
        raise RubricError(f"{source}: {key} must map grades to statuses")
    if unknown := sorted(set(data) - set(GRADES)):
        raise RubricError(f"{source}: {key} names unknown grades: {', '.join(unknown)}")
    if complete and (missing := [g for g in GRADES if g not in data]):
        raise RubricError(f"{source}: {key} leaves grades undecided: {', '.join(missing)}")
    for grade, status in data.items():
        if status not in ADJUSTED:
            known = status in STATUSES
            raise RubricError(f"{source}: {key}.{grade} is {status!r}, "
                              f"{'not a decision after evaluation' if known else 'not a status'} "
                              f"(one of {', '.join(ADJUSTED)})")
    return dict(data)
