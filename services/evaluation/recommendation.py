"""City governments' recommendation (设区市推荐): in a batch opened with
``city_recommendation``, each city's government checks the declarations of its region
and recommends some of them before the DRC selects; a declaration its city did not
recommend is not selected, with the city's reason, and the DRC certifies only once
every city with declarations has recommended.

The recommendation is an aggregate of its own (one per batch and city), so cities
recommending at once do not contend on the batch.
"""

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError

from services.backbone.eventstore.views import View
from services.backbone.kernel.context import Actor, Context, stable_id
from services.backbone.kernel.errors import Conflict, Forbidden, RuleViolation, field_error
from services.contracts.vocabulary import normalise_city

from .domain import Batch
from .views import Standings


class CityRecommendation(Aggregate):
    """What one city's government recommended from its declarations in a batch."""

    @staticmethod
    def create_id(batch_id: UUID, city: str, **_: Any) -> UUID:
        return stable_id("recommendation", batch_id, city)

    @event("Recommended")
    def __init__(self, batch_id: UUID, city: str, recommended: list[UUID],
                 not_recommended: list[dict], ctx: Context):
        self.batch_id = batch_id
        self.city = city
        self.recommended = recommended
        self.not_recommended = not_recommended


class Recommendations(View):
    """Per batch and city: the bases recommended, and those not, with the reason."""

    def __init__(self):
        self.reset()

    def reset(self) -> None:
        self.batches: dict[UUID, dict[str, dict]] = {}

    def apply(self, event) -> None:
        if isinstance(event, CityRecommendation.Recommended):
            self.batches.setdefault(event.batch_id, {})[event.city] = {
                "city": event.city, "recommended": list(event.recommended),
                "not_recommended": list(event.not_recommended), "recommended_at": event.timestamp,
                "recommended_by": event.ctx.as_dict()}

    def of_batch(self, batch_id: UUID) -> list[dict]:
        return sorted(self.batches.get(batch_id, {}).values(), key=lambda row: row["city"])


class CityRecommendations:
    """Mixin of the evaluation application: recommendations and what selection makes of them."""

    def recommend(self, batch_id: UUID, *, recommended: list[UUID], not_recommended: list[dict],
                  actor: Actor, ctx: Context) -> CityRecommendation:
        """A city government's recommendation: every declaration of its city in the
        batch, recommended or not (with the reason), once, before selection."""
        city = actor.city
        if city is None:
            raise Forbidden("Only a city government (its token naming its city) recommends.")
        batch = self.require(batch_id, Batch, "batch")
        if not batch.city_recommendation:
            raise RuleViolation(f"Batch {batch.name} is selected without cities' recommendation.")
        if batch.concluded:
            raise RuleViolation(f"The selection of batch {batch.name} is concluded.")
        declared = self._declared_in(batch_id, city)
        named = [*recommended, *(row["base_id"] for row in not_recommended)]
        if len(set(named)) != len(named):
            raise field_error("recommended", "a declaration is named twice")
        if strangers := [str(b) for b in named if b not in declared]:
            raise field_error("recommended", f"not declarations of {city} in this batch: "
                                             + ", ".join(strangers))
        if missing := [declared[b] for b in declared if b not in named]:
            raise field_error("not_recommended", "every declaration of the city is recommended or "
                                                 "not, with the reason: " + "、".join(missing))
        recommendation = CityRecommendation(batch_id=batch_id, city=city, recommended=recommended,
                                            not_recommended=not_recommended, ctx=ctx)
        if recommendation.id in self.repository:
            raise Conflict(f"{city} has already recommended in batch {batch.name}.")
        try:
            self.save(recommendation)
        except IntegrityError:
            raise Conflict(f"{city} has already recommended in batch {batch.name}.") from None
        return recommendation

    def recommendations(self, batch_id: UUID) -> list[dict]:
        self.require(batch_id, Batch, "batch")
        return self.views[Recommendations].of_batch(batch_id)

    def recommended_ranking(self, batch: Batch, ranking: list[dict]) -> tuple[list[dict], dict[UUID, str]]:
        """The ranking selection chooses from, and the declarations left out because
        their city did not recommend them (with why). Refused while a city with
        declarations has not recommended."""
        if not batch.city_recommendation:
            return ranking, {}
        cities = {normalise_city(row["region"]["city"])
                  for row in self.views[Standings].select(batch_id=batch.id, status="declared")}
        given = {row["city"]: row for row in self.views[Recommendations].of_batch(batch.id)}
        if waiting := sorted(cities - set(given)):
            raise Conflict(f"Awaiting the recommendation of {'、'.join(waiting)} in batch {batch.name}.",
                           fields={"cities": waiting})
        recommended = {b for row in given.values() for b in row["recommended"]}
        reasons = {r["base_id"]: f"未获{city}人民政府推荐（{r['reason']}），未参加评选"
                   for city, row in given.items() for r in row["not_recommended"]}
        kept = [row for row in ranking if row["base_id"] in recommended]
        left_out = {row["base_id"]: reasons.get(row["base_id"], "未获所在设区市推荐，未参加评选")
                    for row in ranking if row["base_id"] not in recommended}
        return kept, left_out

    def _declared_in(self, batch_id: UUID, city: str) -> dict[UUID, str]:
        return {row["base_id"]: row["name"]
                for row in self.views[Standings].select(batch_id=batch_id, status="declared",
                                                        city=normalise_city(city))}
