"""Scores to rankings, and a ranking to the list of bases certified. Pure, no I/O.

A base's score on an occasion (its selection, or an evaluation round) is the mean of
the weighted scores its evaluators gave, rounded once to 0.01 half up, as officials
round by hand. It counts only when every evaluator assigned to the base has scored:
a half-scored base would be ranked on whoever happened to finish first.

Ties are broken the same way every time the log is folded: higher score first, then
the earlier declaration (the order the log received them), then the base's id. At the
quota line a tie is not broken silently: certifying "the top N" then needs the DRC to
name the list.
"""

from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable, Sequence
from uuid import UUID

from services.backbone.kernel.errors import Conflict, RuleViolation, field_error

CENT = Decimal("0.01")


def mean_score(weighted: Iterable[Decimal]) -> Decimal | None:
    """The mean of the evaluators' weighted scores, quantized to 0.01 (ROUND_HALF_UP)."""
    values = list(weighted)
    if not values:
        return None
    return (sum(values, Decimal(0)) / len(values)).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Entry:
    """One base on one occasion, as folded from the log."""

    base_id: UUID
    name: str
    kind: str
    order: int  # place in the log: the tie-break after the score
    rubric_version: str | None = None
    evaluators: list[UUID] = field(default_factory=list)
    weighted: dict[UUID, Decimal] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        """Scored by every evaluator assigned to it (and it has at least one)."""
        return bool(self.evaluators) and all(e in self.weighted for e in self.evaluators)

    @property
    def score(self) -> Decimal | None:
        return mean_score(self.weighted[e] for e in self.evaluators) if self.complete else None


def rank(entries: Iterable[Entry]) -> list[dict]:
    """Scored bases by score (ties: declared first, then id), then the unscored ones;
    each row has ``rank`` (None when unscored) and ``tied`` (its score is shared)."""
    entries = list(entries)
    scored = sorted((e for e in entries if e.complete), key=lambda e: (-e.score, e.order, str(e.base_id)))
    unscored = sorted((e for e in entries if not e.complete), key=lambda e: e.order)
    counts = Counter(e.score for e in scored)
    shared = {score for score, count in counts.items() if count > 1}
    rows = [_row(e, position, e.score in shared) for position, e in enumerate(scored, 1)]
    return rows + [_row(e, None, False) for e in unscored]


def _row(entry: Entry, position: int | None, tied: bool) -> dict:
    return {
        "base_id": entry.base_id, "name": entry.name, "kind": entry.kind,
        "rank": position, "score": entry.score, "tied": tied,
        "rubric_version": entry.rubric_version, "evaluators": len(entry.evaluators),
        "scored_by": len(entry.weighted),
    }


def choose_certified(ranking: Sequence[dict], quota: int,
                     chosen: Sequence[UUID] | None = None) -> list[UUID]:
    """The bases to certify: the DRC's explicit list, or by default the top of the
    ranking within the quota. Unscored bases are never certified.

    The default waits for scoring to finish: a base whose assigned evaluators have not
    all scored would otherwise be not selected for good, however it would have ranked."""
    rows = {row["base_id"]: row for row in ranking}
    if chosen is not None:
        return _check_chosen(rows, quota, list(chosen))
    if pending := [row["name"] for row in ranking if row["evaluators"] and row["rank"] is None]:
        raise Conflict(f"Still being scored (not every assigned evaluator has scored): "
                       f"{'、'.join(pending)}; certify once they have, or name the bases to "
                       "certify in base_ids.", fields={"bases": pending})
    scored = [row for row in ranking if row["rank"] is not None]
    top = scored[:quota]
    if len(scored) > quota and scored[quota - 1]["score"] == scored[quota]["score"]:
        tied = [row["name"] for row in scored if row["score"] == scored[quota]["score"]]
        raise RuleViolation(
            f"{'、'.join(tied)} share the score {scored[quota]['score']} at the quota line "
            f"({quota}); name the bases to certify in base_ids.", fields={"base_ids": tied})
    return [row["base_id"] for row in top]


def _check_chosen(rows: dict, quota: int, chosen: list[UUID]) -> list[UUID]:
    if len(set(chosen)) != len(chosen):
        raise field_error("base_ids", "a base is listed twice")
    if len(chosen) > quota:
        raise field_error("base_ids", f"{len(chosen)} bases exceed the batch's quota of {quota}")
    if unknown := [str(b) for b in chosen if b not in rows]:
        raise field_error("base_ids", f"not declarations awaiting selection in this batch: "
                                      f"{', '.join(unknown)}")
    if unscored := [rows[b]["name"] for b in chosen if rows[b]["rank"] is None]:
        raise field_error("base_ids", f"not (fully) scored, so cannot be certified: "
                                      f"{'、'.join(unscored)}")
    return chosen


def passed_over(ranking: Sequence[dict], chosen: Sequence[UUID], reason: str) -> set[UUID]:
    """The scored bases a certification leaves out although they score higher than a
    base it certifies. The DRC may choose so, but says why: without a ``reason`` such a
    list is refused, naming the field (the reason then goes into every decision)."""
    chosen = set(chosen)
    scores = [row["score"] for row in ranking if row["base_id"] in chosen]
    if not scores:
        return set()
    skipped = [row for row in ranking if row["rank"] is not None
               and row["base_id"] not in chosen and row["score"] > min(scores)]
    if skipped and not reason.strip():
        raise field_error("reason", f"the list passes over bases with higher scores "
                                    f"({'、'.join(row['name'] for row in skipped)}): say why")
    return {row["base_id"] for row in skipped}
