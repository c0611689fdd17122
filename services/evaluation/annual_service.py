"""The evaluation service's entrypoints of the annual self-evaluation (年度自评): an
applicant submits or revises its base's report; overseers, the base's applicant and its
evaluators read them beside the filed plan's targets."""

from services.backbone.kernel.ids import path_id
from services.backbone.web.entrypoints import http, rpc, validated
from services.backbone.web.inputs import read_json

from .annual_schemas import AnnualReportOut, AnnualReportRequest

READERS = ("drc", "department", "ops", "evaluator", "applicant")  # the last two: their own


class AnnualReportEndpoints:
    """Mixin of the evaluation service (its ``app`` and ``caller``)."""

    @http("POST", "/bases/<uuid:base_id>/annual-reports", roles=("applicant",))
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

    @http("GET", "/bases/<uuid:base_id>/annual-reports", roles=READERS)
    def http_annual_reports(self, request, base_id):
        return self.annual_reports(str(base_id))

    @rpc(roles=READERS)
    def annual_reports(self, base_id):
        """Every year a base reported, latest first, with target, actual and gap."""
        rows = self.app.annual_reports(path_id(base_id, "base_id"), self.caller.actor)
        return {"base_id": str(base_id), "annual_reports": AnnualReportOut(many=True).dump(rows)}
