"""Rubrics (评分细则): the versioned grid evaluators score a base against. Pure, no I/O.

One rubric per kind of base, kept as a data file in ``rubrics/`` named after its version
(``university-2017.1.yaml``). Its dimensions are the construction tasks of that kind in
section 四 of the policy (``CONSTRUCTION_TASKS``), each with a weight and the indicators
an evaluator looks at; the weights add up to 100, so the weighted score of a full score
sheet is itself out of 100. The grade thresholds (优秀 / 良好 / 合格; below 合格 is 不合格)
are part of the rubric, because a grade means nothing without the grid it was given on.

A rubric may also score ``quantitative`` indicators from the base's annual figures
(``quantitative.py``): their weights and the dimensions' then add up to 100 together,
so an expert's full sheet is worth the dimensions' share and the figures the rest.

A file that does not add up is refused when it is loaded, naming the file and the
fault: a wrong grid discovered after evaluators have scored against it cannot be fixed.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

from services.backbone.kernel.errors import RuleViolation
from services.contracts.vocabulary import CONSTRUCTION_TASKS, GRADES, KINDS

from .quantitative import QuantitativeIndicator, quantitative_indicators, score_figures

HUNDRED = Decimal(100)
GRADED = ("excellent", "good", "qualified")  # each has a minimum score; below: unqualified


class RubricError(ValueError):
    """A rubric or policy file that cannot be used; the message names file and fault."""


def exact_decimal(value: Any, what: str) -> Decimal:
    """A number from a data file as an exact Decimal. YAML floats are refused: a weight
    of 12.5 must be written "12.5", so that what is read is what was written."""
    if isinstance(value, bool) or isinstance(value, float):
        raise RubricError(f"{what} must be an integer or a quoted decimal, not {value!r}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise RubricError(f"{what} is not a number: {value!r}") from None
    if not number.is_finite():
        raise RubricError(f"{what} must be finite")
    return number


@dataclass(frozen=True)
class Dimension:
    """One construction task, its weight in the total and what evaluators look at."""

    code: str
    name: str
    weight: Decimal
    indicators: tuple[str, ...]


@dataclass(frozen=True)
class Rubric:
    """A validated scoring grid for one kind of base."""

    version: str
    kind: str
    title: str
    dimensions: tuple[Dimension, ...]
    thresholds: Mapping[str, Decimal]
    quantitative: tuple[QuantitativeIndicator, ...] = ()

    @classmethod
    def from_data(cls, data: Mapping[str, Any], *, source: str = "rubric") -> "Rubric":
        """Builds a rubric from its file's data, refusing one that does not add up."""
        if not isinstance(data, Mapping):
            raise RubricError(f"{source}: not a mapping")
        missing = [k for k in ("version", "kind", "title", "dimensions", "thresholds") if k not in data]
        if missing:
            raise RubricError(f"{source}: missing {', '.join(missing)}")
        kind = data["kind"]
        if kind not in KINDS:
            raise RubricError(f"{source}: unknown kind {kind!r} (known: {', '.join(KINDS)})")
        dimensions = tuple(_dimension(kind, item, source) for item in data["dimensions"] or ())
        quantitative = quantitative_indicators(data.get("quantitative"), source, exact_decimal,
                                               RubricError)
        _check_dimensions(kind, dimensions, source,
                          sum((q.weight for q in quantitative), Decimal(0)))
        return cls(version=str(data["version"]), kind=kind, title=str(data["title"]),
                   dimensions=dimensions, thresholds=_thresholds(data["thresholds"], source),
                   quantitative=quantitative)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(d.code for d in self.dimensions)

    def check_scores(self, scores: Mapping[str, Any]) -> None:
        """A score sheet gives every dimension, and only those, a Decimal from 0 to 100
        with at most two places. Raises RuleViolation naming each faulty dimension."""
        errors: dict[str, list[str]] = {}
        for code in self.codes:
            if code not in scores:
                errors[code] = ["Missing score for this dimension."]
        for code, value in scores.items():
            if code not in self.codes:
                errors[code] = [f"Not a dimension of rubric {self.version}."]
            elif problem := _score_problem(value):
                errors[code] = [problem]
        if errors:
            raise RuleViolation(f"The scores do not fit rubric {self.version}.",
                                fields={"scores": errors})

    def weighted(self, scores: Mapping[str, Decimal]) -> Decimal:
        """Σ score × weight / 100, exact (no rounding: rounding happens once, on the mean)."""
        self.check_scores(scores)
        return sum((scores[d.code] * d.weight for d in self.dimensions), Decimal(0)) / HUNDRED

    def score_figures(self, figures: Mapping[str, Any] | None) -> tuple[Decimal, list[dict]]:
        """The points the quantitative indicators give ``figures`` (None: no annual
        report), each indicator's row, and their total (0 for a rubric without any)."""
        return score_figures(self.quantitative, figures)

    def grade(self, score: Decimal) -> str:
        """The grade a score earns under this rubric's thresholds."""
        for grade in GRADED:
            if score >= self.thresholds[grade]:
                return grade
        return "unqualified"


def _score_problem(value: Any) -> str | None:
    if not isinstance(value, Decimal):
        return "A score is a decimal (e.g. \"85.50\"); floats are not accepted."
    if not value.is_finite() or value < 0 or value > HUNDRED:
        return "A score is between 0 and 100."
    if value.as_tuple().exponent < -2:
        return "A score has at most two decimal places."
    return None


def _dimension(kind: str, item: Any, source: str) -> Dimension:
    if not isinstance(item, Mapping) or "code" not in item:
        raise RubricError(f"{source}: every dimension needs a code, a weight and indicators")
    code = item["code"]
    weight = exact_decimal(item.get("weight"), f"{source}: weight of {code}")
    if weight <= 0 or weight.as_tuple().exponent < -2:
        raise RubricError(f"{source}: weight of {code} must be positive, with at most two places")
    indicators = tuple(str(i).strip() for i in item.get("indicators") or () if str(i).strip())
    if not indicators:
        raise RubricError(f"{source}: dimension {code} has no indicators")
    return Dimension(code=code, name=CONSTRUCTION_TASKS[kind].get(code, code), weight=weight,
                     indicators=indicators)


def _check_dimensions(kind: str, dimensions: tuple[Dimension, ...], source: str,
                      quantitative_weight: Decimal) -> None:
    codes = [d.code for d in dimensions]
    expected = list(CONSTRUCTION_TASKS[kind])
    problems = []
    if missing := [c for c in expected if c not in codes]:
        problems.append(f"missing {', '.join(missing)}")
    if unknown := sorted(set(codes) - set(expected)):
        problems.append(f"not tasks of a {kind} base: {', '.join(unknown)}")
    if repeated := sorted({c for c in codes if codes.count(c) > 1}):
        problems.append(f"listed twice: {', '.join(repeated)}")
    if problems:
        raise RubricError(f"{source}: the dimensions must be the construction tasks of a {kind} "
                          f"base ({', '.join(expected)}); {'; '.join(problems)}")
    total = sum((d.weight for d in dimensions), Decimal(0)) + quantitative_weight
    if total != HUNDRED:
        raise RubricError(f"{source}: the weights add up to {total}, not 100")


def _thresholds(data: Any, source: str) -> dict[str, Decimal]:
    if not isinstance(data, Mapping) or set(data) != set(GRADED):
        raise RubricError(f"{source}: thresholds must give exactly {', '.join(GRADED)} "
                          f"({', '.join(GRADES[g] for g in GRADED)})")
    values = {g: exact_decimal(data[g], f"{source}: threshold {g}") for g in GRADED}
    if not HUNDRED >= values["excellent"] > values["good"] > values["qualified"] > 0:
        raise RubricError(f"{source}: thresholds must satisfy 100 >= excellent > good > "
                          f"qualified > 0 (got {', '.join(f'{g} {values[g]}' for g in GRADED)})")
    return values
