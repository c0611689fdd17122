"""The evaluation service's entrypoints for decisions of record: a certification or an
adjustment taken by government document outside the platform, entered by the DRC with
its date, 文号 and document; a base's timeline by effective date; statuses on a date.

A mixin of ``EvaluationService`` (nameko finds entrypoints on base classes), kept apart
so the service class stays the thin list of everyday routes.
"""

from services.backbone.web.entrypoints import http, rpc, validated
from services.backbone.web.inputs import read_json, read_query
from services.backbone.kernel.errors import BadRequest
from services.backbone.kernel.ids import path_id

from .record_schemas import (CertificationOfRecordRequest, DecisionOfRecordRequest, DecisionsOfRecord,
                             PublicationOut, PublicationRequest, StatusesOn, StatusOnOut, StatusOnQuery,
                             Timeline, TimelineEntryOut)
from .schemas import DecisionOut
from .records import Record

DRC = ("drc",)
OVERSEERS = ("drc", "department", "ops")
SCOPED_READERS = OVERSEERS + ("evaluator", "applicant")  # evaluator, applicant: their own


class DecisionsOfRecordEndpoints:
    """Decisions entered from their documents, and reads by effective date."""

    @http("POST", "/batches/<uuid:batch_id>/certification-of-record", roles=DRC,
           body=CertificationOfRecordRequest, response=DecisionsOfRecord)
    def http_certify_of_record(self, request, batch_id):
        return 201, self.certify_of_record(str(batch_id), **read_json(request))

    @rpc(roles=DRC)
    def certify_of_record(self, batch_id, **certification):
        """Certifies the bases a government document names, from its date (no scores)."""
        data = validated(CertificationOfRecordRequest(), certification)
        decisions = self.app.certify_of_record(path_id(batch_id), base_ids=data["base_ids"],
                                               record=Record.of(data), reason=data["reason"],
                                               ctx=self.caller.context)
        return {"decisions": DecisionOut(many=True).dump(decisions)}

    @http("POST", "/bases/<uuid:base_id>/decision-of-record", roles=DRC,
           body=DecisionOfRecordRequest, response=DecisionOut)
    def http_record_decision(self, request, base_id):
        return 201, self.record_decision(str(base_id), **read_json(request))

    @rpc(roles=DRC)
    def record_decision(self, base_id, **decision):
        """Enters a decision on one base taken by government document, from its date."""
        data = validated(DecisionOfRecordRequest(), decision)
        recorded = self.app.record_decision(
            path_id(base_id), to_status=data["to_status"], reason=data["reason"],
            record=Record.of(data), rectification_deadline=data["rectification_deadline"],
            ctx=self.caller.context)
        return DecisionOut().dump(recorded)

    @http("POST", "/bases/<uuid:base_id>/decisions/<int:number>/publication", roles=DRC,
           body=PublicationRequest, response=PublicationOut)
    def http_publish_decision(self, request, base_id, number):
        return 201, self.publish_decision(str(base_id), number, **read_json(request))

    @rpc(roles=DRC)
    def publish_decision(self, base_id, number, **publication):
        """Gives a decision taken as proposed its 文号 and document (the n-th, from 1)."""
        data = validated(PublicationRequest(), publication)
        if not isinstance(number, int) or isinstance(number, bool):
            raise BadRequest("number: a whole number", fields={"number": ["A whole number."]})
        published = self.app.publish_decision(path_id(base_id), number=number, **data,
                                              ctx=self.caller.context)
        return PublicationOut().dump(published)

    @http("GET", "/bases/<uuid:base_id>/timeline", roles=SCOPED_READERS, response=Timeline)
    def http_timeline(self, request, base_id):
        return self.timeline(str(base_id))

    @rpc(roles=SCOPED_READERS)
    def timeline(self, base_id):
        """A base's decisions by effective date, with entry times (applicants: their own)."""
        rows = self.app.timeline(path_id(base_id), self.caller.actor)
        return {"base_id": str(base_id), "decisions": TimelineEntryOut(many=True).dump(rows)}

    @http("GET", "/bases/status-on", roles=OVERSEERS, query=StatusOnQuery, response=StatusesOn)
    def http_statuses_on(self, request):
        return self.statuses_on(**read_query(request))

    @rpc(roles=OVERSEERS)
    def statuses_on(self, **query):
        """Every base's status (or one's) on a Beijing date, by effective dates."""
        data = validated(StatusOnQuery(), query)
        rows = self.app.statuses_on(data["as_of"], data["base_id"])
        return {"as_of": data["as_of"].isoformat(), "bases": StatusOnOut(many=True).dump(rows)}
