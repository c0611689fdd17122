"""The evaluation service's entrypoints for city governments' recommendation (设区市推荐)
within a batch. A mixin of ``EvaluationService``."""

from marshmallow import fields, validate

from services.backbone.kernel.ids import path_id
from services.backbone.web.entrypoints import http, rpc, validated
from services.backbone.web.inputs import read_json
from services.contracts.common import Strict
from services.contracts.text import FreeText

READERS = ("drc", "department", "ops", "city_government")


class NotRecommendedSchema(Strict):
    base_id = fields.UUID(required=True)
    reason = FreeText(max_length=500, required=True, blank=False)


class RecommendationRequest(Strict):
    """POST /batches/<id>/city-recommendation: every declaration of the caller's city,
    recommended or not (with the reason)."""

    recommended = fields.List(fields.UUID(), required=True, validate=validate.Length(max=1000))
    not_recommended = fields.List(fields.Nested(NotRecommendedSchema), load_default=list,
                                  validate=validate.Length(max=1000))


class CityRecommendationEndpoints:
    """Cities recommend; overseers and cities read the recommendations."""

    @http("POST", "/batches/<uuid:batch_id>/city-recommendation", roles=("city_government",))
    def http_recommend(self, request, batch_id):
        return 201, self.recommend(str(batch_id), **read_json(request))

    @rpc(roles=("city_government",))
    def recommend(self, batch_id, **recommendation):
        """A city government recommends its city's declarations in a batch, once."""
        data = validated(RecommendationRequest(), recommendation)
        call = self.caller
        self.app.recommend(path_id(batch_id), recommended=data["recommended"],
                           not_recommended=data["not_recommended"], actor=call.actor,
                           ctx=call.context)
        return self.recommendations(batch_id)

    @http("GET", "/batches/<uuid:batch_id>/recommendations", roles=READERS)
    def http_recommendations(self, request, batch_id):
        return self.recommendations(str(batch_id))

    @rpc(roles=READERS)
    def recommendations(self, batch_id):
        """Each city's recommendation in a batch."""
        rows = self.app.recommendations(path_id(batch_id))
        return {"batch_id": str(batch_id), "recommendations": [
            {"city": row["city"], "recommended": [str(b) for b in row["recommended"]],
             "not_recommended": [{"base_id": str(r["base_id"]), "reason": r["reason"]}
                                 for r in row["not_recommended"]],
             "recommended_at": row["recommended_at"].isoformat(),
             "recommended_by": row["recommended_by"]} for row in rows]}
