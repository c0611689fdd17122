"""Request and response shapes of funding's HTTP and RPC API. Money in and out is a
decimal string with two places; a JSON float is refused."""

from marshmallow import Schema, ValidationError, fields, post_load, validate

from services.backbone.eventstore.audit import jsonable
from services.backbone.web.paging import PageQuery, sortable
from services.contracts.common import Strict
from services.contracts.fields import DAY_ENDS, City, Moment, Money, Timestamp
from services.contracts.text import FreeText, Name
from services.contracts.funding import FISCAL_YEARS, FUND_SOURCES, TranchesAddUp
from services.contracts.vocabulary import KINDS, MILESTONES

from .milestones import milestone_code

IDEMPOTENCY_KEY = validate.Regexp(r"^[\x21-\x7e]{1,200}$",
                                  error="1 to 200 printable ASCII characters, e.g. a UUID.")


class CapsRequest(Strict):
    """The most an envelope may commit per kind of base, and per base."""

    by_kind = fields.Dict(keys=fields.String(validate=validate.OneOf(KINDS)), values=Money(),
                          load_default=dict)
    by_base = fields.Dict(keys=fields.UUID(), values=Money(), load_default=dict)


class EnvelopeRequest(Strict):
    """POST /envelopes"""

    fiscal_year = fields.Integer(required=True, strict=True, validate=FISCAL_YEARS)
    fund_source = fields.String(required=True, validate=validate.OneOf(FUND_SOURCES))
    total = Money(required=True)
    name = FreeText(max_length=100, multiline=False, load_default=None)
    caps = fields.Nested(CapsRequest, load_default=lambda: {"by_kind": {}, "by_base": {}})

    @post_load
    def _named(self, data, **kwargs):
        """An envelope without a name is called after its year and source."""
        if not (data.get("name") or "").strip():
            data["name"] = f"{data['fiscal_year']}年{FUND_SOURCES[data['fund_source']]}"
        return data


def _a_milestone(text: str) -> None:
    if milestone_code(text) is None:
        steps = ", ".join(f"{code} ({name})" for code, name in MILESTONES.items())
        raise ValidationError(f"Not a milestone; one of: {steps}.")


class TrancheRequest(Strict):
    """A tranche and the named step it waits for (a code of MILESTONES, or its words)."""

    amount = Money(required=True)
    milestone = Name(max_length=200, validate=_a_milestone)


class AllocationRequest(TranchesAddUp):
    """POST /allocations (with an Idempotency-Key header)"""

    base_id = fields.UUID(required=True)
    envelope_id = fields.UUID(required=True)
    amount = Money(required=True)
    purpose = Name(max_length=500)
    tranches = fields.List(fields.Nested(TrancheRequest), required=True,
                           validate=validate.Length(min=1, max=24))


class DisbursementRequest(Strict):
    """POST /allocations/<id>/tranches/<tranche_id>/disbursement: the milestone met."""

    milestone = Name(max_length=200)
    reference = Name(max_length=100, required=False, load_default=None)


class RecoveryRequest(Strict):
    """POST /allocations/<id>/recoveries: money recovered from a revoked base."""

    amount = Money(required=True)
    reference = Name(max_length=100, required=False, load_default=None)


class EnvelopesQuery(PageQuery):
    """GET /envelopes?fiscal_year=&fund_source=&sort=&limit=&offset="""

    SORTABLE = sortable("name", "fiscal_year", "fund_source", "total", "allocated", "remaining",
                        "opened_at")

    fiscal_year = fields.Integer(validate=FISCAL_YEARS)
    fund_source = fields.String(validate=validate.OneOf(FUND_SOURCES))


class ExportQuery(Strict):
    """GET /allocations.csv?fiscal_year=&envelope_id=&base_id="""

    fiscal_year = fields.Integer(validate=FISCAL_YEARS)
    envelope_id = fields.UUID()
    base_id = fields.UUID()


class EnvelopeOut(Schema):
    """An envelope's summary: what it holds and where its money went."""

    envelope_id = fields.UUID()
    name = fields.String()
    fiscal_year = fields.Integer()
    fund_source = fields.String()
    fund_source_name = fields.Function(lambda row: FUND_SOURCES[row["fund_source"]])
    total = Money()
    allocated = Money()
    disbursed = Money()
    cancelled = Money()
    recovery_demanded = Money()
    recovered = Money()
    outstanding_recovery = Money()
    remaining = Money()
    allocations = fields.Integer()
    caps = fields.Function(lambda row: {
        "by_kind": {kind: str(cap) for kind, cap in row["caps_by_kind"].items()},
        "by_base": {base: str(cap) for base, cap in row["caps_by_base"].items()}})
    opened_at = Timestamp()


class TrancheOut(Schema):
    tranche_id = fields.UUID()
    amount = Money()
    milestone = fields.String()
    state = fields.String()
    reference = fields.String(allow_none=True)


def _amount(state: str):
    return fields.Function(lambda allocation: str(allocation.total_of(state)))


class AllocationOut(Schema):
    """An allocation with its tranches and where its money stands."""

    allocation_id = fields.UUID(attribute="id")
    base_id = fields.UUID()
    envelope_id = fields.UUID()
    fiscal_year = fields.Integer()
    fund_source = fields.String()
    amount = Money()
    purpose = fields.String()
    status = fields.String()
    tranches = fields.List(fields.Nested(TrancheOut))
    pending = _amount("pending")
    disbursed = _amount("disbursed")
    cancelled = _amount("cancelled")
    recovery_demanded = Money()
    recovered = Money()
    outstanding_recovery = Money()
    hold_reason = fields.String(allow_none=True)
    withdrawn_reason = fields.String(allow_none=True)
    allocated_at = Timestamp(attribute="created_on")
    updated_at = Timestamp(attribute="modified_on")


class BaseFundingOut(Schema):
    """GET /bases/<id>/funding: the base's standing, allocations and history."""

    base_id = fields.UUID()
    name = fields.String()
    kind = fields.String(allow_none=True)
    status = fields.String(allow_none=True)
    filed_plan_version = fields.Integer(allow_none=True)
    eligible = fields.Boolean()
    ineligibility = fields.List(fields.String())
    allocations = fields.List(fields.Nested(AllocationOut))
    history = fields.Function(lambda funding: jsonable(funding["history"]))


class MoneyTotalsOut(Schema):
    """Sums over envelopes, yuan as decimal strings."""

    allocated = fields.String(required=True)
    disbursed = fields.String(required=True, metadata={"description": "paid (拨付)"})
    cancelled = fields.String(required=True)
    recovery_demanded = fields.String(required=True)
    recovered = fields.String(required=True)
    total = fields.String(required=True, metadata={"description": "the envelopes' budget"})
    remaining = fields.String(required=True)


class MoneySummaryOut(MoneyTotalsOut):
    """GET /stats/summary: the money of the DRC's dashboard, in all and by fiscal year."""

    allocations = fields.Integer(required=True)
    by_fiscal_year = fields.Dict(keys=fields.String(), values=fields.Nested(MoneyTotalsOut), required=True)


# -- the DRC's statistics (issue 27 §4) -----------------------------------------------------------

class FundsStatsQuery(Strict):
    """GET /stats/funds?kind=&city=&county=&year=&fund_source=&as_of= (``year``: the
    fiscal year; ``as_of``: a day, the money moved by its end, Beijing time)"""

    kind = fields.String(validate=validate.OneOf(KINDS), load_default=None)
    city = City(load_default=None)
    county = Name(max_length=50, required=False, load_default=None)
    year = fields.Integer(validate=FISCAL_YEARS, load_default=None)
    fund_source = fields.String(validate=validate.OneOf(FUND_SOURCES), load_default=None)
    as_of = Moment(day=DAY_ENDS, load_default=None)


# Each amount summed, a decimal string of yuan.
FundsSumOut = Schema.from_dict({name: Money(allow_zero=True) for name in (
    "allocated", "disbursed", "cancelled", "recovery_demanded", "recovered")}, name="FundsSum")


class FundsStatisticsOut(Schema):
    """GET /stats/funds: money allocated, paid, cancelled and recovered, in all and by
    fund source, city (``unknown``: a base declared before funding kept its place) and
    fiscal year."""

    as_of = fields.String(allow_none=True)
    totals = fields.Nested(FundsSumOut)
    by_source = fields.Dict(keys=fields.String(), values=fields.Nested(FundsSumOut))
    by_city = fields.Dict(keys=fields.String(), values=fields.Nested(FundsSumOut))
    by_year = fields.Dict(keys=fields.String(), values=fields.Nested(FundsSumOut))
