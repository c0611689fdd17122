"""The evaluation service's entrypoints of the annual self-evaluation (年度自评): an
applicant submits or revises its base's report; overseers, the base's applicant and its
evaluators read them beside the filed plan's targets."""

from marshmallow import fields

from services.backbone.kernel.ids import path_id
from services.backbone.web.answers import listing
from services.backbone.web.entrypoints import http, rpc, schema, validated
from services.backbone.web.inputs import read_json, read_query

from .annual_schemas import AnnualReportOut, AnnualReportRequest, AnnualStatisticsOut, AnnualStatsQuery

# The answer of the reports' list, named for the OpenAPI document.
AnnualReports = listing("AnnualReports", "annual_reports", AnnualReportOut, base_id=fields.UUID(required=True))
READERS = ("drc", "department", "ops", "evaluator", "applicant")  # the last two: their own
OVERSEERS = ("drc", "department", "ops")


class AnnualReportEndpoints:
    """Mixin of the evaluation service (its ``app`` and ``caller``)."""

    @http("POST", "/bases/<uuid:base_id>/annual-reports", roles=("applicant",), body=AnnualReportRequest,
           response=AnnualReportOut)
    def http_submit_annual_report(self, request, base_id):
        return 201, self.submit_annual_report(str(base_id), **read_json(request))

    @rpc(roles=("applicant",))
    def submit_annual_report(self, base_id, **report):
        """The base's self-evaluation of a year, or its revision (a new version)."""
        data = validated(AnnualReportRequest(), report)
        call = self.caller
        submitted = self.app.submit_annual_report(path_id(base_id, "base_id"), **data,
                                                  actor=call.actor, ctx=call.context)
        return AnnualReportOut().dump(submitted)

    @http("GET", "/bases/<uuid:base_id>/annual-reports", roles=READERS, response=AnnualReports)
    def http_annual_reports(self, request, base_id):
        return self.annual_reports(str(base_id))

    @rpc(roles=READERS)
    def annual_reports(self, base_id):
        """Every year a base reported, latest first, with target, actual and gap."""
        rows = self.app.annual_reports(path_id(base_id, "base_id"), self.caller.actor)
        return {"base_id": str(base_id), "annual_reports": AnnualReportOut(many=True).dump(rows)}

    @http("GET", "/stats/annual", roles=OVERSEERS, query=AnnualStatsQuery, response=AnnualStatisticsOut)
    def http_annual_statistics(self, request):
        return self.annual_statistics(**read_query(request))

    @rpc(roles=OVERSEERS)
    def annual_statistics(self, **query):
        """The annual reports' figures summed by kind and city (the DRC's statistics),
        filtered as the lists are, as the reports stood at ``as_of``."""
        query = validated(schema(AnnualStatsQuery), query)
        as_of = query.pop("as_of")
        out = self.app.annual_statistics(as_of, **query)
        return schema(AnnualStatisticsOut).dump({**out, "as_of": as_of and as_of.isoformat()})
