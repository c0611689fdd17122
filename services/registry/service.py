"""The registry service: HTTP and RPC entrypoints over the registry application.

Thin by design: load and validate the request, call the application with the caller,
dump the result. Rules live in domain.py, orchestration in application.py.
"""

import logging

from marshmallow import fields

from services.backbone.deadlines.timer import DeadlineTimer
from services.backbone.messaging.subscription import Subscription
from services.backbone.web.answers import answer, listing
from services.backbone.dependencies import EventStore
from services.backbone.web.entrypoints import Caller, http, rpc, schema, validated
from services.backbone.web.inputs import read_json, read_query
from services.backbone.messaging.published_log import PublishedLog
from services.backbone.ops.endpoints import OperationsEndpoints
from services.backbone.ops.todo import TodoOut, dead_letter_items, todo_answer
from services.backbone.web.paging import paged
from services.backbone.kernel.ids import path_id

from .application import RegistryApplication
from .review_endpoints import ReviewEndpoints
from .schemas import (
    ApprovalRequest,
    AsOfQuery,
    BaseStatisticsOut,
    BaseOut,
    BatchesQuery,
    BaseRowOut,
    BatchOut,
    DeclareRequest,
    HistoryEntryOut,
    ListQuery,
    PlanRequest,
    RevocationRequest,
    ReassignRequest,
    StatusAsOfOut,
    StatsQuery,
    StatsSummaryOut,
    UnitOut,
    UnitsQuery,
)

# The answers that wrap rows, named for the OpenAPI document.
BasesPage = listing("BasesPage", "bases", BaseRowOut, paged=True)
BatchesOut = listing("Batches", "batches", BatchOut, paged=True)
UnitsPage = listing("UnitsPage", "units", UnitOut, paged=True)
HistoryOut = listing("BaseHistory", "history", HistoryEntryOut, base_id=fields.UUID(required=True))
StatusesAsOfOut = listing("StatusesAsOf", "bases", StatusAsOfOut, as_of=fields.String(required=True))
RevocationOut = answer("RevocationRecorded", jti=fields.UUID(required=True), recorded=fields.Boolean(required=True))

DECLARERS = ("applicant", "drc")
APPROVERS = ("county_government", "competent_department")
FILERS = ("applicant", "drc")
OVERSEERS = ("drc", "department", "ops")  # the statistics: counts, no person's data


log = logging.getLogger(__name__)


class RegistryService(PublishedLog, OperationsEndpoints, ReviewEndpoints):
    """Bases and their construction plans; the status of record of every base."""

    name = "registry"

    app = EventStore(RegistryApplication)
    caller = Caller()
    evaluation_events = Subscription("evaluation")  # BaseAdjusted, BatchOpened, BatchClosed

    # -- commands -------------------------------------------------------------------------

    @http("POST", "/bases", roles=DECLARERS, body=DeclareRequest, response=BaseOut)
    def http_declare(self, request):
        return 201, self.declare(**read_json(request))

    @rpc(roles=DECLARERS)
    def declare(self, **declaration):
        """Declares a base (申报) in an open batch; returns the base."""
        data = validated(schema(DeclareRequest), declaration)
        call = self.caller
        base = self.app.declare(**data, actor=call.actor, ctx=call.context)
        return schema(BaseOut).dump(base)

    @http("POST", "/bases/<uuid:base_id>/representative", roles=("drc",), body=ReassignRequest, response=BaseOut)
    def http_reassign(self, request, base_id):
        return 201, self.reassign(str(base_id), **read_json(request))

    @rpc(roles=("drc",))
    def reassign(self, base_id, **handover):
        """Hands a declaration to the applicant that answers for its unit (the DRC)."""
        data = validated(schema(ReassignRequest), handover)
        call = self.caller
        base = self.app.reassign(path_id(base_id, "base_id"), **data, actor=call.actor, ctx=call.context)
        return schema(BaseOut).dump(base)

    @http("PUT", "/bases/<uuid:base_id>/plan", roles=("applicant",), body=PlanRequest, response=BaseOut)
    def http_draft_plan(self, request, base_id):
        return 200, self.draft_plan(str(base_id), **read_json(request))

    @rpc(roles=("applicant",))
    def draft_plan(self, base_id, **plan):
        """Drafts or revises the construction plan (建设方案) of a base."""
        data = validated(schema(PlanRequest), plan)
        call = self.caller
        base = self.app.draft_plan(path_id(base_id, "base_id"), **data, actor=call.actor, ctx=call.context)
        return schema(BaseOut).dump(base)

    @http("POST", "/bases/<uuid:base_id>/plan/approvals", roles=APPROVERS, body=ApprovalRequest, response=BaseOut)
    def http_approve_plan(self, request, base_id):
        return 201, self.approve_plan(str(base_id), **read_json(request))

    @rpc(roles=APPROVERS)
    def approve_plan(self, base_id, **approval):
        """Approves (审议通过) a version of a base's plan as county government or
        competent department."""
        data = validated(schema(ApprovalRequest), approval)
        call = self.caller
        base = self.app.approve_plan(path_id(base_id, "base_id"), version=data["version"],
                                     actor=call.actor, ctx=call.context)
        return schema(BaseOut).dump(base)

    @http("POST", "/bases/<uuid:base_id>/plan/filing", roles=FILERS, response=BaseOut)
    def http_file_plan(self, request, base_id):
        return 201, self.file_plan(str(base_id))

    @rpc(roles=FILERS)
    def file_plan(self, base_id):
        """Files (备案) the approved plan of a certified base with the DRC."""
        call = self.caller
        base = self.app.file_plan(path_id(base_id, "base_id"), actor=call.actor, ctx=call.context)
        return schema(BaseOut).dump(base)

    @http("POST", "/tokens/revocations", roles=("ops",), body=RevocationRequest, response=RevocationOut)
    def http_revoke_token(self, request):
        return 201, self.revoke_token(**read_json(request))

    @rpc(roles=("ops",))
    def revoke_token(self, **revocation):
        """Has every service refuse a token from now on (TokenRevoked; ``sc token revoke``)."""
        data = validated(schema(RevocationRequest), revocation)
        recorded = self.app.revoke_token(data["jti"], data["expires_at"], data["reason"], self.caller.context)
        return {"jti": str(data["jti"]), "recorded": recorded}

    # -- queries --------------------------------------------------------------------------

    @http("GET", "/bases/status", query=AsOfQuery, response=StatusesAsOfOut)
    def http_statuses_as_of(self, request):
        return self.statuses_as_of(**read_query(request))

    @rpc
    def statuses_as_of(self, **query):
        """Every base's status of record (or one base's) as it stood at ``as_of``."""
        data = validated(AsOfQuery(), query)
        rows = self.app.statuses_as_of(data["as_of"], data["base_id"])
        return {"as_of": data["as_of"].isoformat(), "bases": StatusAsOfOut(many=True).dump(rows)}

    @http("GET", "/bases/<uuid:base_id>", response=BaseOut)
    def http_get_base(self, request, base_id):
        return self.get_base(str(base_id))

    @rpc
    def get_base(self, base_id):
        """One base with its plan and its adjustments; ``contacts`` is null for a caller
        who may not see them (``Base.shows_contacts_to``)."""
        base = self.app.get_base(path_id(base_id, "base_id"))
        out = schema(BaseOut).dump(base)
        if not base.shows_contacts_to(self.caller.actor):
            out["contacts"] = None
        return out

    @http("GET", "/bases", query=ListQuery, response=BasesPage)
    def http_list_bases(self, request):
        return self.list_bases(**read_query(request))

    @rpc
    def list_bases(self, **filters):
        """Bases searched by name and filtered by kind, city, county, competent department,
        status and batch_id, sorted, a page at a time."""
        query = validated(schema(ListQuery), filters)
        rows, page = paged(query, self.app.list_bases)
        return {"bases": schema(BaseRowOut, many=True).dump(rows), **page}

    @http("GET", "/units", query=UnitsQuery, response=UnitsPage)
    def http_list_units(self, request):
        return self.list_units(**read_query(request))

    @rpc
    def list_units(self, **query):
        """Declaring units (申报单位), searched by name, a page at a time: a unit's name
        as people look it up, e.g. to declare a conflict of interest with it."""
        rows, page = paged(validated(schema(UnitsQuery), query), self.app.units)
        return {"units": schema(UnitOut, many=True).dump(rows), **page}

    @http("GET", "/bases/<uuid:base_id>/history", response=HistoryOut)
    def http_base_history(self, request, base_id):
        return self.base_history(str(base_id))

    @rpc
    def base_history(self, base_id):
        """Every event of a base: what happened, when, who, why (its contacts withheld
        as in ``get_base``)."""
        base = self.app.get_base(path_id(base_id, "base_id"))
        history = schema(HistoryEntryOut, many=True).dump(self.app.base_history(base.id))
        if not base.shows_contacts_to(self.caller.actor):
            for entry in history:
                for key in ("contacts", "contact"):
                    if key in entry["data"]:
                        entry["data"][key] = None
        return {"base_id": str(base_id), "history": history}

    @http("GET", "/batches", query=BatchesQuery, response=BatchesOut)
    def http_batches(self, request):
        return self.batches(**read_query(request))

    @rpc
    def batches(self, **query):
        """Declaration batches, as the registry knows them from evaluation, a page at a time."""
        rows, page = paged(validated(schema(BatchesQuery), query), self.app.batches)
        return {"batches": schema(BatchOut, many=True).dump(rows), **page}

    # -- the console's summary and 待办 (issue 25) ------------------------------------------------

    @http("GET", "/stats/summary", response=StatsSummaryOut)
    def http_stats_summary(self, request):
        return self.stats_summary()

    @rpc
    def stats_summary(self):
        """Counts of bases by kind, status and city (names per city for the map), and
        their totals month by month: the DRC's dashboard, merged with funding's money."""
        return schema(StatsSummaryOut).dump(self.app.stats_summary())

    @DeadlineTimer.decorator()
    def fire_deadlines_on_schedule(self):
        """Sends the reminders that are due (ReminderDue, Overdue), as the platform."""
        fired = self.app.fire_due_deadlines()
        if fired:
            log.info("fired deadlines: %s", ", ".join(fired))

    @http("GET", "/stats/bases", roles=OVERSEERS, query=StatsQuery, response=BaseStatisticsOut)
    def http_base_statistics(self, request):
        return self.base_statistics(**read_query(request))

    @rpc(roles=OVERSEERS)
    def base_statistics(self, **query):
        """The DRC's statistics of bases (counts by kind, city, county, status, batch and
        year; the target's progress), filtered as the lists are, now or at ``as_of``."""
        query = validated(schema(StatsQuery), query)
        as_of = query.pop("as_of")
        out = self.app.base_statistics(as_of, **query)
        return schema(BaseStatisticsOut).dump({**out, "as_of": as_of and as_of.isoformat()})

    @http("GET", "/todo", response=TodoOut)
    def http_todo(self, request):
        return self.todo()

    @rpc
    def todo(self):
        """What waits for the caller in the registry: plans to approve (county government,
        competent department, within their scope), approved plans to file (DRC,
        applicant), plans to draft (applicant)."""
        items = self.app.todo(self.caller.actor)
        items += dead_letter_items(self.operations, self.caller.actor)
        return schema(TodoOut).dump(todo_answer(items))
