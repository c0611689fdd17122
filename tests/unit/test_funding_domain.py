"""The funding aggregates' rules, without any infrastructure: envelopes are never
overspent nor over a cap, tranches add up and are paid once against their milestone,
a warned base's tranches are held, a revoked base's are cancelled and paid money is
recovered."""

from decimal import Decimal
from itertools import count
from uuid import uuid4

import pytest

from services.backbone.kernel.context import Actor
from services.backbone.kernel.errors import Conflict, NotFound, RuleViolation
from services.funding.domain import Allocation, Envelope, require_money, settle_allocations
from services.funding.eligibility import BaseStanding

OFFICE = Actor(id=uuid4(), role="funding_office", name="资金管理处")
DRC = Actor(id=uuid4(), role="drc", name="省发展改革委")

REACHED = {"plan_filed", "evaluation_passed"}  # the base has reached every milestone


def yuan(amount: str) -> Decimal:
    return Decimal(amount)


def envelope(total="1000000.00", by_kind=None, by_base=None) -> Envelope:
    return Envelope.open(fiscal_year=2017, fund_source="provincial_budget", name="2017年省级预算内资金",
                         total=yuan(total), caps_by_kind=by_kind or {}, caps_by_base=by_base or {},
                         ctx=OFFICE.context())


def allocation(envelope_: Envelope, amount="300000.00", tranches=None, key=None,
               base_id=None) -> Allocation:
    tranches = tranches or [{"amount": yuan("200000.00"), "milestone": "建设方案备案"},
                            {"amount": yuan("100000.00"), "milestone": "评估合格"}]
    return Allocation.allocate(idempotency_key=key or str(uuid4()), base_id=base_id or uuid4(),
                               envelope=envelope_, amount=yuan(amount), purpose="建设补助",
                               tranches=tranches, ctx=OFFICE.context())


def committed(envelope_: Envelope, amount: str, kind="regional", base_id=None):
    envelope_.allocate(allocation_id=uuid4(), base_id=base_id or uuid4(), kind=kind,
                       amount=yuan(amount), ctx=OFFICE.context())


def field_of(caught) -> list:
    return list(caught.value.fields)


def eligible_standing() -> BaseStanding:
    standing = BaseStanding(base_id=uuid4(), ctx=DRC.context())
    standing.record_plan_filed(plan_version=1, kind="university", ctx=DRC.context())
    standing.record_status(from_status="declared", to_status="certified", reason="认定",
                           position=1, ctx=DRC.context())
    return standing


# -- money -----------------------------------------------------------------------------------

@pytest.mark.parametrize("amount", [0.5, Decimal("0"), Decimal("-1.00"), Decimal("1.001"),
                                    Decimal("NaN")])
def test_money_is_a_positive_decimal_of_whole_fen(amount):
    with pytest.raises(RuleViolation) as caught:
        require_money("amount", amount)
    assert field_of(caught) == ["amount"]


# -- envelopes ----------------------------------------------------------------------------------

def test_an_envelope_refuses_an_allocation_beyond_what_remains():
    budget = envelope(total="500000.00")
    committed(budget, "400000.00")
    with pytest.raises(RuleViolation) as caught:
        committed(budget, "100000.01")
    assert field_of(caught) == ["amount"] and "100000.00 remaining" in caught.value.message
    committed(budget, "100000.00")
    assert budget.remaining == 0


def test_an_envelope_refuses_an_allocation_over_the_cap_of_the_bases_kind():
    budget = envelope(by_kind={"enterprise": yuan("300000.00")})
    committed(budget, "200000.00", kind="enterprise")
    with pytest.raises(RuleViolation) as caught:
        committed(budget, "150000.00", kind="enterprise")
    assert field_of(caught) == ["amount"] and "企业示范基地" in caught.value.message
    committed(budget, "150000.00", kind="regional")


def test_an_envelope_refuses_an_allocation_over_the_cap_of_the_base():
    base_id = uuid4()
    budget = envelope(by_base={base_id: yuan("250000.00")})
    committed(budget, "200000.00", base_id=base_id)
    with pytest.raises(RuleViolation) as caught:
        committed(budget, "50000.01", base_id=base_id)
    assert field_of(caught) == ["amount"] and str(base_id) in caught.value.message
    committed(budget, "50000.01")


def test_money_given_back_is_available_again_and_frees_room_under_the_caps():
    base_id, allocation_id = uuid4(), uuid4()
    budget = envelope(total="300000.00", by_base={base_id: yuan("300000.00")})
    budget.allocate(allocation_id=allocation_id, base_id=base_id, kind="university",
                    amount=yuan("300000.00"), ctx=OFFICE.context())
    budget.give_back(allocation_id=allocation_id, amount=yuan("100000.00"), reason="cancelled",
                     ctx=DRC.context())
    assert budget.remaining == yuan("100000.00")
    assert budget.committed_to(base_id=base_id) == yuan("200000.00")
    committed(budget, "100000.00", base_id=base_id)


def test_an_envelope_takes_back_no_more_than_an_allocation_committed():
    allocation_id = uuid4()
    budget = envelope()
    budget.allocate(allocation_id=allocation_id, base_id=uuid4(), kind="regional",
                    amount=yuan("1000.00"), ctx=OFFICE.context())
    with pytest.raises(RuleViolation):
        budget.give_back(allocation_id=allocation_id, amount=yuan("1000.01"), reason="recovered",
                         ctx=OFFICE.context())
    with pytest.raises(RuleViolation):
        budget.give_back(allocation_id=uuid4(), amount=yuan("1.00"), reason="recovered",
                         ctx=OFFICE.context())


@pytest.mark.parametrize("caps, field", [
    ({"by_kind": {"regional": yuan("2000000.00")}}, "caps.by_kind.regional"),
    ({"by_kind": {"hospital": yuan("1.00")}}, "caps.by_kind"),
    ({"by_base": {"b": yuan("0")}}, "caps.by_base.b"),
])
def test_caps_are_positive_known_kinds_within_the_total(caps, field):
    with pytest.raises(RuleViolation) as caught:
        envelope(by_kind=caps.get("by_kind"), by_base=caps.get("by_base"))
    assert field_of(caught) == [field]


# -- allocations --------------------------------------------------------------------------------

def test_tranches_must_add_up_to_the_amount():
    with pytest.raises(RuleViolation) as caught:
        allocation(envelope(), amount="300000.00",
                   tranches=[{"amount": yuan("200000.00"), "milestone": "建设方案备案"}])
    assert field_of(caught) == ["tranches"] and "200000.00" in caught.value.message


def test_the_same_key_describes_the_same_allocation_and_tranches():
    budget, base_id = envelope(), uuid4()
    first = allocation(budget, key="office-2017-001", base_id=base_id)
    again = allocation(budget, key="office-2017-001", base_id=base_id)
    assert first.id == again.id
    assert [t["tranche_id"] for t in first.tranches] == [t["tranche_id"] for t in again.tranches]
    assert first.is_same_request(base_id=base_id, envelope_id=budget.id, amount=yuan("300000.00"),
                                 purpose="建设补助", tranches=[
                                     {"amount": yuan("200000.00"), "milestone": " 建设方案备案"},
                                     {"amount": yuan("100000.00"), "milestone": "评估合格"}])
    assert not first.is_same_request(base_id=uuid4(), envelope_id=budget.id,
                                     amount=yuan("300000.00"), purpose="建设补助", tranches=[])


def test_a_tranche_is_paid_once_against_its_own_milestone():
    grant = allocation(envelope())
    first = grant.tranches[0]["tranche_id"]
    with pytest.raises(RuleViolation) as caught:
        grant.disburse(reached=REACHED, tranche_id=first, milestone="评估合格", reference=None, ctx=OFFICE.context())
    assert field_of(caught) == ["milestone"]
    grant.disburse(reached=REACHED, tranche_id=first, milestone="建设方案备案", reference="晋财拨118号", ctx=OFFICE.context())
    with pytest.raises(Conflict):
        grant.disburse(reached=REACHED, tranche_id=first, milestone="建设方案备案", reference=None, ctx=OFFICE.context())
    with pytest.raises(NotFound):
        grant.disburse(reached=REACHED, tranche_id=uuid4(), milestone="建设方案备案", reference=None, ctx=OFFICE.context())
    assert grant.total_of("disbursed") == yuan("200000.00") and grant.status == "active"


def test_held_tranches_are_not_paid_until_the_hold_is_lifted():
    grant = allocation(envelope())
    assert grant.hold(reason="the base is warned", ctx=DRC.context())
    tranche = grant.tranches[0]["tranche_id"]
    with pytest.raises(RuleViolation) as caught:
        grant.disburse(reached=REACHED, tranche_id=tranche, milestone="建设方案备案", reference=None, ctx=OFFICE.context())
    assert field_of(caught) == ["tranche_id"] and "held" in caught.value.message
    assert grant.status == "held" and grant.total_of("cancelled") == 0
    assert grant.release_hold(ctx=DRC.context())
    grant.disburse(reached=REACHED, tranche_id=tranche, milestone="建设方案备案", reference=None, ctx=OFFICE.context())


def test_withdrawing_cancels_pending_tranches_and_demands_back_what_was_paid():
    grant = allocation(envelope())
    grant.disburse(reached=REACHED, tranche_id=grant.tranches[0]["tranche_id"], milestone="建设方案备案",
                   reference=None, ctx=OFFICE.context())
    cancelled = grant.withdraw(reason="撤销", ctx=DRC.context())
    assert cancelled == yuan("100000.00")
    assert grant.recovery_demanded == yuan("200000.00") and grant.status == "recovering"
    assert grant.withdraw(reason="撤销", ctx=DRC.context()) == 0  # a second revocation changes nothing
    with pytest.raises(RuleViolation) as caught:
        grant.disburse(reached=REACHED, tranche_id=grant.tranches[1]["tranche_id"], milestone="评估合格",
                       reference=None, ctx=OFFICE.context())
    assert "cancelled" in caught.value.message


def test_recovery_is_recorded_in_parts_never_beyond_what_is_due_and_once_per_id():
    grant = allocation(envelope())
    with pytest.raises(RuleViolation, match="Nothing is to be recovered") as caught:
        grant.record_recovery(recovery_id=uuid4(), amount=yuan("1.00"), reference=None,
                              ctx=OFFICE.context())
    assert field_of(caught) == ["allocation_id"] and "not revoked" in caught.value.message
    grant.disburse(reached=REACHED, tranche_id=grant.tranches[0]["tranche_id"], milestone="建设方案备案",
                   reference=None, ctx=OFFICE.context())
    grant.withdraw(reason="撤销", ctx=DRC.context())
    part = uuid4()
    assert grant.record_recovery(recovery_id=part, amount=yuan("150000.00"), reference=None,
                                 ctx=OFFICE.context())
    assert not grant.record_recovery(recovery_id=part, amount=yuan("150000.00"), reference=None,
                                     ctx=OFFICE.context())
    with pytest.raises(Conflict):
        grant.record_recovery(recovery_id=part, amount=yuan("1.00"), reference=None, ctx=OFFICE.context())
    with pytest.raises(RuleViolation) as caught:
        grant.record_recovery(recovery_id=uuid4(), amount=yuan("50000.01"), reference=None,
                              ctx=OFFICE.context())
    assert field_of(caught) == ["amount"]
    grant.record_recovery(recovery_id=uuid4(), amount=yuan("50000.00"), reference=None,
                          ctx=OFFICE.context())
    assert grant.outstanding_recovery == 0 and grant.status == "recovered"


# -- eligibility ----------------------------------------------------------------------------------

def test_a_certified_base_with_a_filed_plan_is_eligible_whatever_the_order_they_arrive_in():
    standing = BaseStanding(base_id=uuid4(), ctx=DRC.context())
    standing.record_status(from_status="declared", to_status="certified", reason="认定", position=1,
                           ctx=DRC.context())
    assert standing.ineligibility() == ["the base has no filed construction plan (建设方案未备案)"]
    standing.record_plan_filed(plan_version=1, kind="enterprise", ctx=DRC.context())
    assert standing.is_eligible and standing.kind == "enterprise"


@pytest.mark.parametrize("status, reason", [
    (None, "not certified (status: unknown)"), ("declared", "not certified"),
    ("not_selected", "not certified"), ("warned", "warned"), ("revoked", "revoked"),
])
def test_a_base_not_in_good_standing_is_ineligible_and_says_why(status, reason):
    standing = BaseStanding(base_id=uuid4(), ctx=DRC.context())
    standing.record_plan_filed(plan_version=1, kind="regional", ctx=DRC.context())
    if status:
        standing.record_status(from_status="certified", to_status=status, reason="决定", position=1,
                               ctx=DRC.context())
    with pytest.raises(RuleViolation) as caught:
        standing.record_allocation(allocation_id=uuid4(), ctx=OFFICE.context())
    assert field_of(caught) == ["base_id"] and reason in caught.value.message


@pytest.mark.parametrize("status", ["retained", "recommended_national"])
def test_retained_and_recommended_bases_stay_eligible(status):
    standing = eligible_standing()
    standing.record_status(from_status="certified", to_status=status, reason="评估", position=2,
                           ctx=DRC.context())
    standing.record_allocation(allocation_id=uuid4(), ctx=OFFICE.context())
    assert len(standing.allocation_ids) == 1


def test_a_change_of_standing_holds_releases_or_withdraws_the_bases_allocations():
    standing, budget = eligible_standing(), envelope()
    grant = allocation(budget, base_id=standing.base_id)
    budget.allocate(allocation_id=grant.id, base_id=standing.base_id, kind="university",
                    amount=grant.amount, ctx=OFFICE.context())

    positions = count(2)

    def becomes(status):
        standing.record_status(from_status=standing.status, to_status=status, reason="评估",
                               position=next(positions), ctx=DRC.context())
        settle_allocations(standing, [grant], {budget.id: budget}, "评估", DRC.context())

    becomes("warned")
    assert grant.status == "held" and budget.remaining == yuan("700000.00")
    becomes("retained")
    assert grant.status == "active"
    becomes("warned")
    becomes("revoked")
    assert grant.status == "cancelled" and grant.total_of("cancelled") == yuan("300000.00")
    assert budget.remaining == yuan("1000000.00")


def test_a_decision_from_before_the_one_applied_is_noted_as_stale_and_changes_nothing():
    standing = eligible_standing()  # certified at position 1
    assert standing.record_status(from_status="certified", to_status="retained", reason="整改到位",
                                  position=3, ctx=DRC.context())
    assert not standing.record_status(from_status="certified", to_status="warned",
                                      reason="年度评估不合格", position=2, ctx=DRC.context())
    assert (standing.status, standing.status_position, standing.is_eligible) == ("retained", 3, True)
    stale = standing.collect_events()[-1]
    assert type(stale).__name__ == "StaleStatusIgnored"
    assert (stale.to_status, stale.position, stale.applied_position) == ("warned", 2, 3)


@pytest.mark.parametrize("status", ["warned", "revoked"])
def test_a_payment_to_a_base_that_is_warned_or_revoked_is_refused_naming_the_allocation(status):
    standing = eligible_standing()
    standing.record_payment(allocation_id=uuid4(), tranche_id=uuid4(), ctx=OFFICE.context())
    standing.record_status(from_status="certified", to_status=status, reason="评估", position=2,
                           ctx=DRC.context())
    with pytest.raises(RuleViolation) as caught:
        standing.record_payment(allocation_id=uuid4(), tranche_id=uuid4(), ctx=OFFICE.context())
    assert field_of(caught) == ["allocation_id"] and status in caught.value.message
    assert [type(e).__name__ for e in standing.collect_events()].count("Paid") == 1
