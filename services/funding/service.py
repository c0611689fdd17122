"""The funding service: HTTP and RPC entrypoints over the funding application.

Thin by design: load and validate the request, call the application with the caller,
dump the result. Rules live in domain.py and eligibility.py, orchestration in
application.py. Only the funding office changes anything; the DRC, departments and ops
read, the log of funding's events included (not every reader of other services' logs).
"""


from marshmallow import ValidationError
from werkzeug.wrappers import Response

from services.backbone.messaging.subscription import Subscription
from services.backbone.dependencies import EventStore
from services.backbone.web.answers import listing
from services.backbone.web.entrypoints import Caller, http, json_response, rpc, schema, validated
from services.backbone.web.inputs import read_json, read_query
from services.backbone.kernel.errors import BadRequest
from services.backbone.kernel.ids import path_id
from services.backbone.messaging.published_log import published_log
from services.backbone.ops.endpoints import OperationsEndpoints
from services.backbone.ops.todo import TodoOut, dead_letter_items, todo_answer
from services.backbone.web.paging import paged

from .application import IDEMPOTENCY_FIELD, FundingApplication
from .document_endpoints import PaymentDocumentEndpoints
from .schemas import (
    IDEMPOTENCY_KEY,
    AllocationOut,
    AllocationRequest,
    BaseFundingOut,
    DisbursementRequest,
    EnvelopeOut,
    EnvelopeRequest,
    EnvelopesQuery,
    ExportQuery,
    FundsStatisticsOut,
    FundsStatsQuery,
    MoneySummaryOut,
    RecoveryRequest,
)

Envelopes = listing("Envelopes", "envelopes", EnvelopeOut, paged=True)

OFFICE = ("funding_office",)
READERS = ("funding_office", "drc", "department", "ops", "service")
OVERSEERS = ("funding_office", "drc", "department", "ops")  # the statistics


class FundingService(published_log(READERS), OperationsEndpoints, PaymentDocumentEndpoints):
    """Budget envelopes, allocations to eligible bases, payments, cancellation, recovery."""

    name = "funding"

    app = EventStore(FundingApplication)
    caller = Caller()
    registry_events = Subscription("registry")  # BaseDeclared, PlanFiled
    evaluation_events = Subscription("evaluation")  # BaseAdjusted

    # -- envelopes ----------------------------------------------------------------------

    @http("POST", "/envelopes", roles=OFFICE, body=EnvelopeRequest, response=EnvelopeOut)
    def http_open_envelope(self, request):
        return 201, self.open_envelope(**read_json(request))

    @rpc(roles=OFFICE)
    def open_envelope(self, **envelope):
        """Opens a budget envelope: fiscal year, fund source, total, optional caps."""
        data = validated(EnvelopeRequest(), envelope)
        caps = data.pop("caps")
        envelope = self.app.open_envelope(**data, caps_by_kind=caps.get("by_kind", {}),
                                          caps_by_base=caps.get("by_base", {}),
                                          ctx=self.caller.context)
        return EnvelopeOut().dump(self.app.envelope_summary(envelope.id))

    @http("GET", "/envelopes", roles=READERS, query=EnvelopesQuery, response=Envelopes)
    def http_envelopes(self, request):
        return self.envelopes(**read_query(request))

    @rpc(roles=READERS)
    def envelopes(self, **filters):
        """Envelopes with their summaries, by fiscal year and fund source."""
        rows, page = paged(validated(EnvelopesQuery(), filters), self.app.envelope_summaries)
        return {"envelopes": EnvelopeOut(many=True).dump(rows), **page}

    @http("GET", "/envelopes/<uuid:envelope_id>", roles=READERS, response=EnvelopeOut)
    def http_envelope(self, request, envelope_id):
        return self.envelope(str(envelope_id))

    @rpc(roles=READERS)
    def envelope(self, envelope_id):
        """Total, allocated, disbursed, cancelled, recovered and remaining."""
        return EnvelopeOut().dump(self.app.envelope_summary(path_id(envelope_id, "envelope_id")))

    # -- allocations --------------------------------------------------------------------

    @http("POST", "/allocations", roles=OFFICE, body=AllocationRequest, response=AllocationOut,
           headers=(IDEMPOTENCY_FIELD,), also=(200,))  # 200: a replay of the same Idempotency-Key
    def http_allocate(self, request):
        body, created = self._allocate(request.headers.get(IDEMPOTENCY_FIELD), read_json(request))
        if created:
            return 201, body
        return json_response(200, body, headers={"Idempotent-Replayed": "true"})

    @rpc(roles=OFFICE)
    def allocate(self, idempotency_key=None, **allocation):
        """Allocates budget support to an eligible base; the same idempotency key
        returns the same allocation, never a second one."""
        return self._allocate(idempotency_key, allocation)[0]

    def _allocate(self, idempotency_key, allocation) -> tuple[dict, bool]:
        key = _idempotency_key(idempotency_key)
        data = validated(AllocationRequest(), allocation)
        result, created = self.app.allocate(idempotency_key=key, **data,
                                            ctx=self.caller.context)
        return AllocationOut().dump(result), created

    @http("GET", "/allocations/<uuid:allocation_id>", roles=READERS, response=AllocationOut)
    def http_allocation(self, request, allocation_id):
        return self.allocation(str(allocation_id))

    @rpc(roles=READERS)
    def allocation(self, allocation_id):
        """One allocation with its tranches."""
        return AllocationOut().dump(self.app.allocation(path_id(allocation_id, "allocation_id")))

    @http("POST", "/allocations/<uuid:allocation_id>/tranches/<uuid:tranche_id>/disbursement",
          roles=OFFICE, body=DisbursementRequest,
           response=AllocationOut)
    def http_disburse(self, request, allocation_id, tranche_id):
        return 201, self.disburse(str(allocation_id), str(tranche_id), **read_json(request))

    @rpc(roles=OFFICE)
    def disburse(self, allocation_id, tranche_id, **disbursement):
        """Records the payment (拨付) of a tranche, stating the milestone it waited for."""
        data = validated(DisbursementRequest(), disbursement)
        allocation = self.app.disburse(path_id(allocation_id, "allocation_id"),
                                       tranche_id=path_id(tranche_id, "tranche_id"), **data,
                                       ctx=self.caller.context)
        return AllocationOut().dump(allocation)

    @http("POST", "/allocations/<uuid:allocation_id>/recoveries", roles=OFFICE, body=RecoveryRequest,
           response=AllocationOut, headers=(IDEMPOTENCY_FIELD,))
    def http_record_recovery(self, request, allocation_id):
        return 201, self._record_recovery(str(allocation_id), request.headers.get(IDEMPOTENCY_FIELD),
                                          read_json(request))

    @rpc(roles=OFFICE)
    def record_recovery(self, allocation_id, idempotency_key=None, **recovery):
        """Records money recovered (追回) from a revoked base. The idempotency key is
        required: a retry after a timeout records the money once, never twice."""
        return self._record_recovery(allocation_id, idempotency_key, recovery)

    def _record_recovery(self, allocation_id, idempotency_key, recovery: dict) -> dict:
        key = _idempotency_key(idempotency_key)
        # The body stays one dict: a field named like the header's argument is an
        # unknown field (400), not a second value for it.
        data = validated(RecoveryRequest(), recovery)
        allocation = self.app.record_recovery(path_id(allocation_id, "allocation_id"), **data,
                                              recovery_key=key, ctx=self.caller.context)
        return AllocationOut().dump(allocation)

    # -- bases and the finance department ---------------------------------------------------

    @http("GET", "/bases/<uuid:base_id>/funding", roles=READERS, response=BaseFundingOut)
    def http_base_funding(self, request, base_id):
        return self.base_funding(str(base_id))

    @rpc(roles=READERS)
    def base_funding(self, base_id):
        """A base's eligibility, allocations and funding history."""
        return BaseFundingOut().dump(self.app.base_funding(path_id(base_id, "base_id")))

    @http("GET", "/allocations.csv", roles=READERS, query=ExportQuery, produces="text/csv")
    def http_export_allocations(self, request):
        text = self.export_allocations(**read_query(request))
        return Response(text.encode("utf-8"), status=200, mimetype="text/csv",
                        headers={"Content-Disposition": 'attachment; filename="allocations.csv"'})

    @rpc(roles=READERS)
    def export_allocations(self, **filters):
        """Allocations as CSV for the finance department (UTF-8 with BOM, for Excel)."""
        return self.app.export_csv(**validated(ExportQuery(), filters))

    # -- the console's summary and 待办 (issue 25) ------------------------------------------------

    @http("GET", "/stats/summary", roles=READERS, response=MoneySummaryOut)
    def http_stats_summary(self, request):
        return self.stats_summary()

    @rpc(roles=READERS)
    def stats_summary(self):
        """Budget allocated, paid (disbursed) and recovered, in all and by fiscal year, as
        decimal strings: the money of the DRC's dashboard."""
        return schema(MoneySummaryOut).dump(self.app.money_summary())

    @http("GET", "/stats/funds", roles=OVERSEERS, query=FundsStatsQuery, response=FundsStatisticsOut)
    def http_funds_statistics(self, request):
        return self.funds_statistics(**read_query(request))

    @rpc(roles=OVERSEERS)
    def funds_statistics(self, **query):
        """Money allocated, paid and recovered by fund source, city and fiscal year (the
        DRC's statistics), filtered as the lists are, as it stood at ``as_of``."""
        query = validated(schema(FundsStatsQuery), query)
        as_of = query.pop("as_of")
        out = self.app.funds_statistics(as_of, **query)
        return schema(FundsStatisticsOut).dump({**out, "as_of": as_of and as_of.isoformat()})

    @http("GET", "/todo", response=TodoOut)
    def http_todo(self, request):
        return self.todo()

    @rpc
    def todo(self):
        """What waits for the caller in funding: for the funding office, tranches to pay
        and recoveries to collect; nothing for other roles."""
        items = self.app.todo(self.caller.actor)
        items += dead_letter_items(self.operations, self.caller.actor)
        return schema(TodoOut).dump(todo_answer(items))


def _idempotency_key(value) -> str:
    """The client's Idempotency-Key (header, or RPC argument), required wherever a retry
    must not count money twice: an allocation, a recovery."""
    if value is None or not str(value).strip():
        raise BadRequest(f"{IDEMPOTENCY_FIELD} is required so that a retry is safe.",
                         fields={IDEMPOTENCY_FIELD: ["Missing: send a unique key "
                                                     "(e.g. a UUID) with each new request."]})
    key = str(value).strip()
    try:
        IDEMPOTENCY_KEY(key)
    except ValidationError as error:
        raise BadRequest(f"{IDEMPOTENCY_FIELD} is not valid.",
                         fields={IDEMPOTENCY_FIELD: error.messages}) from None
    return key
