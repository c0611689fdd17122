"""The evaluation service's entrypoints for the national recommendation: the DRC runs
each step; overseers (departments, operations) read the calls. A mixin of
``EvaluationService``."""

from services.backbone.kernel.ids import path_id
from services.backbone.web.entrypoints import http, rpc, validated
from services.backbone.web.inputs import read_json

from .national_schemas import (ChooseCandidatesRequest, NationalCallOut, NationalCalls,
                               NationalNoticeRequest, NationalOutcomeRequest,
                               OpenNationalCallRequest, SubmitNationalRequest)

DRC = ("drc",)
READERS = ("drc", "department", "ops")


class NationalRecommendationEndpoints:
    """A national call, step by step."""

    @http("POST", "/national-calls", roles=DRC, body=OpenNationalCallRequest, response=NationalCallOut)
    def http_open_national_call(self, request):
        return 201, self.open_national_call(**read_json(request))

    @rpc(roles=DRC)
    def open_national_call(self, **call):
        """Opens the year's call: quota and criteria (minimum grade in a closed round)."""
        data = validated(OpenNationalCallRequest(), call)
        opened = self.app.open_national_call(**data, ctx=self.caller.context)
        return NationalCallOut().dump(self.app.national_call(opened.id))

    @http("GET", "/national-calls", roles=READERS, response=NationalCalls)
    def http_national_calls(self, request):
        return self.national_calls()

    @rpc(roles=READERS)
    def national_calls(self):
        """Every national call, by year."""
        return NationalCalls().dump({"calls": self.app.national_calls()})

    @http("GET", "/national-calls/<uuid:call_id>", roles=READERS, response=NationalCallOut)
    def http_national_call(self, request, call_id):
        return self.national_call(str(call_id))

    @rpc(roles=READERS)
    def national_call(self, call_id):
        """A call, and while it is open the bases still eligible."""
        return NationalCallOut().dump(self.app.national_call(path_id(call_id, "call_id")))

    @http("POST", "/national-calls/<uuid:call_id>/candidates", roles=DRC,
           body=ChooseCandidatesRequest, response=NationalCallOut)
    def http_choose_national_candidates(self, request, call_id):
        return 201, self.choose_national_candidates(str(call_id), **read_json(request))

    @rpc(roles=DRC)
    def choose_national_candidates(self, call_id, **chosen):
        """The DRC's candidates among the eligible bases, each with its reason."""
        data = validated(ChooseCandidatesRequest(), chosen)
        self.app.choose_national_candidates(path_id(call_id, "call_id"), **data,
                                            ctx=self.caller.context)
        return NationalCallOut().dump(self.app.national_call(path_id(call_id, "call_id")))

    @http("POST", "/national-calls/<uuid:call_id>/notice", roles=DRC, body=NationalNoticeRequest,
           response=NationalCallOut)
    def http_publish_national_notice(self, request, call_id):
        return 201, self.publish_national_notice(str(call_id), **read_json(request))

    @rpc(roles=DRC)
    def publish_national_notice(self, call_id, **notice):
        """Puts the candidates under public notice (purpose national_recommendation)."""
        data = validated(NationalNoticeRequest(), notice)
        self.app.publish_national_notice(path_id(call_id, "call_id"), **data,
                                         ctx=self.caller.context)
        return NationalCallOut().dump(self.app.national_call(path_id(call_id, "call_id")))

    @http("POST", "/national-calls/<uuid:call_id>/submission", roles=DRC,
           body=SubmitNationalRequest, response=NationalCallOut)
    def http_submit_national(self, request, call_id):
        return 201, self.submit_national(str(call_id), **read_json(request))

    @rpc(roles=DRC)
    def submit_national(self, call_id, **submission):
        """Submits the candidates the concluded notice left standing."""
        data = validated(SubmitNationalRequest(), submission)
        self.app.submit_national(path_id(call_id, "call_id"), **data, ctx=self.caller.context)
        return NationalCallOut().dump(self.app.national_call(path_id(call_id, "call_id")))

    @http("POST", "/national-calls/<uuid:call_id>/outcomes", roles=DRC,
           body=NationalOutcomeRequest, response=NationalCallOut)
    def http_record_national_outcome(self, request, call_id):
        return 201, self.record_national_outcome(str(call_id), **read_json(request))

    @rpc(roles=DRC)
    def record_national_outcome(self, call_id, **outcome):
        """The national decision on a submitted base: selected (with its 文号) or not."""
        data = validated(NationalOutcomeRequest(), outcome)
        self.app.record_national_outcome(path_id(call_id, "call_id"), **data,
                                         ctx=self.caller.context)
        return NationalCallOut().dump(self.app.national_call(path_id(call_id, "call_id")))
