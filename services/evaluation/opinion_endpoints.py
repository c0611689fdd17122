"""The evaluation service's entrypoints for departments' opinions on a batch's ranking
(省直相关部门共同评选). A mixin of ``EvaluationService``."""

from marshmallow import Schema, fields, validate

from services.backbone.kernel.ids import path_id
from services.backbone.web.answers import listing
from services.backbone.web.entrypoints import http, rpc, validated
from services.backbone.web.inputs import read_json
from services.contracts.common import Strict
from services.contracts.fields import Timestamp
from services.contracts.text import FreeText, Name

from .opinions import OPINIONS

OVERSEERS = ("drc", "department", "ops")


class OpinionRequestRequest(Strict):
    """POST /batches/<id>/opinion-requests: the departments asked (by name)."""

    departments = fields.List(Name(max_length=100), required=True,
                              validate=validate.Length(min=1, max=30))


class OpinionRequest(Strict):
    """POST /batches/<id>/opinions: the calling department's opinion on the ranking."""

    opinion = fields.String(required=True, validate=validate.OneOf(OPINIONS))
    comments = FreeText(max_length=2000)


class OpinionOut(Schema):
    """A department's opinion, when and by whom it was given."""

    department = fields.String(required=True)
    opinion = fields.String(required=True, validate=validate.OneOf(OPINIONS))
    comments = fields.String(required=True)
    given_at = Timestamp(required=True)
    given_by = fields.Dict(required=True)


# The answer of a batch's opinions, named for the OpenAPI document.
OpinionsOnBatch = listing("OpinionsOnBatch", "opinions", OpinionOut, batch_id=fields.UUID(required=True),
                          asked=fields.List(fields.String(), required=True))


class DepartmentOpinionEndpoints:
    """The DRC asks departments; each asked department answers; overseers read."""

    @http("POST", "/batches/<uuid:batch_id>/opinion-requests", roles=("drc",),
           body=OpinionRequestRequest, response=OpinionsOnBatch)
    def http_ask_opinions(self, request, batch_id):
        return 201, self.ask_opinions(str(batch_id), **read_json(request))

    @rpc(roles=("drc",))
    def ask_opinions(self, batch_id, **asked):
        """Asks named departments for their opinion on the batch's ranking."""
        data = validated(OpinionRequestRequest(), asked)
        self.app.ask_opinions(path_id(batch_id), departments=data["departments"],
                              ctx=self.caller.context)
        return OpinionsOnBatch().dump(self.app.opinions(path_id(batch_id)))

    @http("POST", "/batches/<uuid:batch_id>/opinions", roles=("department",), body=OpinionRequest,
           response=OpinionsOnBatch)
    def http_give_opinion(self, request, batch_id):
        return 201, self.give_opinion(str(batch_id), **read_json(request))

    @rpc(roles=("department",))
    def give_opinion(self, batch_id, **opinion):
        """The calling department's opinion (its token names it), once."""
        data = validated(OpinionRequest(), opinion)
        call = self.caller
        self.app.give_opinion(path_id(batch_id), opinion=data["opinion"], comments=data["comments"],
                              actor=call.actor, ctx=call.context)
        return OpinionsOnBatch().dump(self.app.opinions(path_id(batch_id)))

    @http("GET", "/batches/<uuid:batch_id>/opinions", roles=OVERSEERS, response=OpinionsOnBatch)
    def http_opinions(self, request, batch_id):
        return self.opinions(str(batch_id))

    @rpc(roles=OVERSEERS)
    def opinions(self, batch_id):
        """The departments asked about a batch and the opinions given."""
        return OpinionsOnBatch().dump(self.app.opinions(path_id(batch_id)))
