"""The evaluation service's entrypoints for city governments' recommendation (设区市推荐)
within a batch. A mixin of ``EvaluationService``."""

from marshmallow import Schema, fields, validate

from services.backbone.kernel.ids import path_id
from services.backbone.web.answers import listing
from services.backbone.web.entrypoints import http, rpc, validated
from services.backbone.web.inputs import read_json
from services.contracts.common import Strict
from services.contracts.fields import Timestamp
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


class CityRecommendationOut(Schema):
    """One city's recommendation: the declarations it recommends, those it does not
    (with the reason), when and by whom."""

    city = fields.String(required=True)
    recommended = fields.List(fields.UUID(), required=True)
    not_recommended = fields.List(fields.Nested(NotRecommendedSchema), required=True)
    recommended_at = Timestamp(required=True)
    recommended_by = fields.Dict(required=True)


# The answer of a batch's recommendations, named for the OpenAPI document.
BatchRecommendations = listing("BatchRecommendations", "recommendations", CityRecommendationOut,
                               batch_id=fields.UUID(required=True))


class CityRecommendationEndpoints:
    """Cities recommend; overseers and cities read the recommendations."""

    @http("POST", "/batches/<uuid:batch_id>/city-recommendation", roles=("city_government",),
           body=RecommendationRequest, response=BatchRecommendations)
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
        return BatchRecommendations().dump(
            {"batch_id": batch_id, "recommendations": self.app.recommendations(path_id(batch_id))})

    @http("GET", "/batches/<uuid:batch_id>/recommendations", roles=READERS, response=BatchRecommendations)
    def http_recommendations(self, request, batch_id):
        return self.recommendations(str(batch_id))

    @rpc(roles=READERS)
    def recommendations(self, batch_id):
        """Each city's recommendation in a batch."""
        return BatchRecommendations().dump(
            {"batch_id": batch_id, "recommendations": self.app.recommendations(path_id(batch_id))})
