"""The funding application on an in-memory store: eligibility recorded from upstream
events, every refusal of an allocation naming its field, idempotent retries, lost races
checked again, holds, revocation, recovery, summaries and the finance export."""

import csv
import io
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from services.backbone.kernel.context import Actor
from services.backbone.kernel.errors import Conflict, RuleViolation
from services.funding.application import FundingApplication
from services.funding.domain import Allocation
from tests.support.funding import (
    base_adjusted_payload,
    base_declared_payload,
    plan_filed_payload,
    upstream_event,
)

OFFICE = Actor(id=uuid4(), role="funding_office", name="资金管理处")
OPS = Actor(id=uuid4(), role="ops", name="运维")
TRANCHES = [{"amount": Decimal("60000.00"), "milestone": "建设方案备案"},
            {"amount": Decimal("40000.00"), "milestone": "评估合格"}]


class Upstream:
    """The registry and evaluation, numbering their events like real logs."""

    def __init__(self, app: FundingApplication):
        self.app = app
        self.positions = {"registry": 0, "evaluation": 0}

    def publish(self, source, event_type, payload):
        event = self.next_event(source, event_type, payload)
        assert self.app.receive(event)
        return event

    def next_event(self, source, event_type, payload):
        self.positions[source] += 1
        return upstream_event(source, event_type, payload, self.positions[source])

    def eligible_base(self, kind="university", name="山西大学") -> UUID:
        base_id = uuid4()
        self.publish("registry", "BaseDeclared", base_declared_payload(base_id, name, kind))
        self.publish("registry", "PlanFiled", plan_filed_payload(base_id, kind))
        self.adjust(base_id, "declared", "certified")
        return base_id

    def adjust(self, base_id, from_status, to_status, reason="评估决定", basis="selection"):
        return self.publish("evaluation", "BaseAdjusted",
                            base_adjusted_payload(base_id, from_status, to_status, reason, basis))

    def adjust_parked(self, base_id, from_status, to_status, reason="评估决定"):
        """A decision whose reaction failed here until the consumer parked it."""
        event = self.next_event("evaluation", "BaseAdjusted",
                                base_adjusted_payload(base_id, from_status, to_status, reason))
        assert self.app.park(event, "OperationalError: database is locked", 5, OPS.context())
        return event


@pytest.fixture
def app():
    application = FundingApplication()
    application.conflict_backoff_seconds = 0
    return application


@pytest.fixture
def upstream(app):
    return Upstream(app)


def open_envelope(app, total="1000000.00", name="2017年省级预算内资金", **caps):
    return app.open_envelope(fiscal_year=2017, fund_source="provincial_budget",
                             total=Decimal(total), name=name,
                             caps_by_kind=caps.get("by_kind", {}),
                             caps_by_base=caps.get("by_base", {}), ctx=OFFICE.context())


def allocate(app, base_id, envelope_id, amount="100000.00", key=None, tranches=None,
             actor=OFFICE, **changes):
    return allocate_or_replay(app, base_id, envelope_id, amount, key, tranches, actor, **changes)[0]


def allocate_or_replay(app, base_id, envelope_id, amount="100000.00", key=None, tranches=None,
                       actor=OFFICE, **changes):
    """The allocation, and whether it is new (False: a retry got the first one back)."""
    request = dict(idempotency_key=key or str(uuid4()), base_id=base_id, envelope_id=envelope_id,
                   amount=Decimal(amount), purpose="省级双创示范基地建设补助",
                   tranches=tranches or [{"amount": Decimal(amount), "milestone": "建设方案备案"}])
    request.update(changes)
    return app.allocate(**request, ctx=actor.context())


def refusal(fn, *args, **kwargs) -> RuleViolation:
    with pytest.raises(RuleViolation) as caught:
        fn(*args, **kwargs)
    return caught.value


def published(app, event_type) -> list[dict]:
    events, _ = app.published_after(0, 10_000)
    return [event.payload for event in events if event.type == event_type]


# -- eligibility and refusals -----------------------------------------------------------------

def test_a_base_becomes_eligible_when_certification_and_plan_filing_have_both_arrived(app, upstream):
    envelope = open_envelope(app)
    base_id = uuid4()
    upstream.adjust(base_id, "declared", "certified")
    assert "no filed construction plan" in refusal(allocate, app, base_id, envelope.id).message
    upstream.publish("registry", "PlanFiled", plan_filed_payload(base_id, "regional"))
    assert allocate(app, base_id, envelope.id).base_id == base_id


def test_an_allocation_to_a_base_funding_never_heard_of_is_refused_naming_base_id(app):
    envelope = open_envelope(app)
    error = refusal(allocate, app, uuid4(), envelope.id)
    assert list(error.fields) == ["base_id"] and "not known to funding" in error.message


@pytest.mark.parametrize("status, why", [("warned", "warned"), ("revoked", "revoked"),
                                         ("not_selected", "not certified")])
def test_an_allocation_to_a_base_not_in_good_standing_is_refused_saying_why(app, upstream, status, why):
    envelope = open_envelope(app)
    base_id = upstream.eligible_base()
    upstream.adjust(base_id, "certified", status)
    error = refusal(allocate, app, base_id, envelope.id)
    assert list(error.fields) == ["base_id"] and why in error.message


def test_an_allocation_from_an_unknown_envelope_is_refused_naming_envelope_id(app, upstream):
    error = refusal(allocate, app, upstream.eligible_base(), uuid4())
    assert list(error.fields) == ["envelope_id"]


def test_an_allocation_over_what_remains_or_over_a_cap_is_refused_naming_amount(app, upstream):
    university, enterprise = upstream.eligible_base(), upstream.eligible_base("enterprise", "启迪科技园")
    envelope = open_envelope(app, total="500000.00", by_kind={"enterprise": Decimal("100000.00")},
                             by_base={university: Decimal("300000.00")})
    allocate(app, enterprise, envelope.id, amount="100000.00")
    assert "cap of 100000.00" in refusal(allocate, app, enterprise, envelope.id, amount="0.01").message
    allocate(app, university, envelope.id, amount="300000.00")
    over_base = refusal(allocate, app, university, envelope.id, amount="0.01")
    assert list(over_base.fields) == ["amount"] and str(university) in over_base.message
    over_total = refusal(allocate, app, upstream.eligible_base(), envelope.id, amount="100000.01")
    assert list(over_total.fields) == ["amount"] and "100000.00 remaining" in over_total.message


def test_tranches_that_do_not_add_up_are_refused_naming_tranches(app, upstream):
    envelope = open_envelope(app)
    error = refusal(allocate, app, upstream.eligible_base(), envelope.id, amount="100000.00",
                    tranches=TRANCHES[:1])
    assert list(error.fields) == ["tranches"]


def test_the_same_envelope_cannot_be_opened_twice(app):
    open_envelope(app)
    with pytest.raises(Conflict) as caught:
        open_envelope(app, name=" 2017年省级预算内资金 ")
    assert list(caught.value.fields) == ["name"]


def test_an_envelope_named_as_another_but_for_case_or_width_is_the_same_envelope(app):
    """Uniqueness compares names by key; the id is derived as before."""
    open_envelope(app, name="2017年ABC专项")
    for twin in ("2017年abc专项", "２０１７年ＡＢＣ专项", "2017年 ABC 专项"):
        with pytest.raises(Conflict):
            open_envelope(app, name=twin)


# -- idempotency and races ------------------------------------------------------------------------

def test_a_retry_with_the_same_key_gets_the_same_allocation_and_allocates_nothing_more(app, upstream):
    base_id, envelope = upstream.eligible_base(), open_envelope(app)
    first = allocate(app, base_id, envelope.id, key="2017-0001", tranches=TRANCHES)
    again, created = app.allocate(idempotency_key="2017-0001", base_id=base_id,
                                  envelope_id=envelope.id, amount=Decimal("100000.00"),
                                  purpose="省级双创示范基地建设补助", tranches=TRANCHES,
                                  ctx=OFFICE.context())
    assert (again.id, created) == (first.id, False)
    assert len(published(app, "FundingAllocated")) == 1
    assert app.envelope(envelope.id).remaining == Decimal("900000.00")


def test_the_same_key_for_a_different_allocation_is_a_conflict_naming_the_key(app, upstream):
    base_id, envelope = upstream.eligible_base(), open_envelope(app)
    allocate(app, base_id, envelope.id, key="2017-0002")
    with pytest.raises(Conflict) as caught:
        allocate(app, base_id, envelope.id, key="2017-0002", amount="200000.00")
    assert list(caught.value.fields) == ["Idempotency-Key"]


def test_two_users_with_the_same_key_each_get_their_own_allocation_and_their_own_retry(app, upstream):
    base_id, envelope = upstream.eligible_base(), open_envelope(app)
    colleague = Actor(id=uuid4(), role="funding_office", name="资金管理处 李")
    mine = allocate(app, base_id, envelope.id, key="1")
    theirs, created = allocate_or_replay(app, base_id, envelope.id, "200000.00", key="1",
                                         actor=colleague)
    assert created and theirs.id != mine.id and theirs.amount == Decimal("200000.00")

    again, created = allocate_or_replay(app, base_id, envelope.id, "200000.00", key="1",
                                        actor=colleague)
    assert (again.id, created) == (theirs.id, False)
    with pytest.raises(Conflict) as caught:  # my own key reused: my allocation, never theirs
        allocate(app, base_id, envelope.id, key="1", amount="5.00")
    assert str(mine.id) in caught.value.message and str(theirs.id) not in caught.value.message
    assert app.envelope(envelope.id).remaining == Decimal("700000.00")


def test_two_users_recording_recoveries_with_the_same_key_record_both(app, upstream):
    base_id, envelope = upstream.eligible_base(), open_envelope(app)
    grant = allocate(app, base_id, envelope.id)
    app.disburse(grant.id, tranche_id=grant.tranches[0]["tranche_id"], milestone="建设方案备案",
                 reference=None, ctx=OFFICE.context())
    upstream.adjust(base_id, "certified", "revoked")
    colleague = Actor(id=uuid4(), role="funding_office", name="资金管理处 李")
    for actor in (OFFICE, colleague, colleague):  # the colleague's second call is a retry
        app.record_recovery(grant.id, amount=Decimal("30000.00"), reference=None,
                            recovery_key="1", ctx=actor.context())
    assert app.allocation(grant.id).recovered == Decimal("60000.00")
    assert app.envelope(envelope.id).remaining == Decimal("960000.00")


def commits_first(app, monkeypatch, rival, write="save"):
    """Makes ``rival()`` commit between this command's (or, with ``write="_record"``,
    this reaction's) load and its write, once."""
    original = getattr(app, write)

    def write_after_rival(*args, **kwargs):
        monkeypatch.setattr(app, write, original)
        rival()
        return original(*args, **kwargs)

    monkeypatch.setattr(app, write, write_after_rival)


def rival_commits_first(app, monkeypatch, **rival):
    """Makes another allocation commit between this one's load and its save."""
    commits_first(app, monkeypatch, lambda: allocate(app, **rival))


def test_an_allocation_that_loses_a_race_checks_the_envelope_again(app, upstream, monkeypatch):
    base_id, envelope = upstream.eligible_base(), open_envelope(app, total="100000.00")
    rival_commits_first(app, monkeypatch, base_id=base_id, envelope_id=envelope.id, amount="80000.00")
    error = refusal(allocate, app, base_id, envelope.id, amount="30000.00")
    assert list(error.fields) == ["amount"] and "20000.00 remaining" in error.message
    assert app.envelope(envelope.id).remaining == Decimal("20000.00")


def test_an_allocation_that_loses_a_race_still_succeeds_when_the_money_is_there(app, upstream, monkeypatch):
    base_id, envelope = upstream.eligible_base(), open_envelope(app, total="100000.00")
    rival_commits_first(app, monkeypatch, base_id=base_id, envelope_id=envelope.id, amount="50000.00")
    allocate(app, base_id, envelope.id, amount="50000.00")
    assert app.envelope(envelope.id).remaining == 0
    assert len(app.base_funding(base_id)["allocations"]) == 2


@pytest.mark.parametrize("decision", ["warned", "revoked"])
def test_an_allocation_that_loses_to_a_warning_or_revocation_is_refused(app, upstream, monkeypatch, decision):
    base_id, envelope = upstream.eligible_base(), open_envelope(app)
    commits_first(app, monkeypatch, lambda: upstream.adjust(base_id, "certified", decision))
    error = refusal(allocate, app, base_id, envelope.id)
    assert list(error.fields) == ["base_id"] and decision in error.message
    assert app.envelope(envelope.id).remaining == Decimal("1000000.00")
    assert app.base_funding(base_id)["allocations"] == []


def test_a_payment_that_loses_to_a_revocation_is_refused_and_only_what_was_paid_is_demanded(app, upstream, monkeypatch):
    base_id, envelope = upstream.eligible_base(), open_envelope(app)
    grant = allocate(app, base_id, envelope.id, tranches=TRANCHES)
    pay(app, grant)  # 60000.00 paid before the revocation
    upstream.adjust(base_id, "certified", "retained", "评估合格", basis="evaluation")  # the second's milestone
    commits_first(app, monkeypatch, lambda: upstream.adjust(base_id, "retained", "revoked", "撤销"))
    error = refusal(pay, app, grant, 1)
    assert list(error.fields) == ["tranche_id"] and "cancelled" in error.message
    grant = app.allocation(grant.id)
    assert (grant.total_of("disbursed"), grant.recovery_demanded) == (Decimal("60000.00"),) * 2
    assert app.envelope(envelope.id).remaining == Decimal("940000.00")  # the unpaid 40000 back


def test_a_revocation_that_loses_to_a_payment_demands_that_payment_back(app, upstream, monkeypatch):
    base_id, envelope = upstream.eligible_base(), open_envelope(app)
    grant = allocate(app, base_id, envelope.id, tranches=TRANCHES)
    commits_first(app, monkeypatch, lambda: pay(app, grant), write="_record")
    upstream.adjust(base_id, "certified", "revoked", "撤销")
    grant = app.allocation(grant.id)
    assert (grant.status, grant.total_of("disbursed"), grant.recovery_demanded) == (
        "recovering", Decimal("60000.00"), Decimal("60000.00"))
    assert [d["amount"] for d in published(app, "FundingRecoveryDemanded")] == [Decimal("60000.00")]
    assert app.envelope(envelope.id).remaining == Decimal("940000.00")


# -- holds, revocation, recovery --------------------------------------------------------------------

def test_a_warned_bases_tranches_are_held_until_it_is_retained(app, upstream):
    base_id, envelope = upstream.eligible_base(), open_envelope(app)
    grant = allocate(app, base_id, envelope.id, tranches=TRANCHES)
    upstream.adjust(base_id, "certified", "warned", "年度评估不合格，限期整改")
    tranche = grant.tranches[0]["tranche_id"]
    error = refusal(app.disburse, grant.id, tranche_id=tranche, milestone="建设方案备案",
                    reference=None, ctx=OFFICE.context())
    assert list(error.fields) == ["tranche_id"] and "限期整改" in error.message
    assert app.envelope_summary(envelope.id)["cancelled"] == 0  # held, not cancelled
    upstream.adjust(base_id, "warned", "retained", "整改到位")
    paid = app.disburse(grant.id, tranche_id=tranche, milestone="建设方案备案", reference="拨款001",
                        ctx=OFFICE.context())
    assert paid.total_of("disbursed") == Decimal("60000.00")
    assert published(app, "FundingDisbursed")[0]["milestone"] == "plan_filed"  # the step's code


def test_a_revocation_cancels_what_is_unpaid_and_demands_back_what_was_paid(app, upstream):
    base_id, envelope = upstream.eligible_base(), open_envelope(app)
    grant = allocate(app, base_id, envelope.id, tranches=TRANCHES)
    app.disburse(grant.id, tranche_id=grant.tranches[0]["tranche_id"], milestone="建设方案备案",
                 reference=None, ctx=OFFICE.context())
    upstream.adjust(base_id, "certified", "revoked", "整改不到位，撤销")

    assert [c["amount"] for c in published(app, "FundingCancelled")] == [Decimal("40000.00")]
    assert [d["amount"] for d in published(app, "FundingRecoveryDemanded")] == [Decimal("60000.00")]
    assert app.envelope(envelope.id).remaining == Decimal("940000.00")  # the cancelled part at once
    app.record_recovery(grant.id, amount=Decimal("60000.00"), reference="缴款书01",
                        recovery_key="r-1", ctx=OFFICE.context())
    app.record_recovery(grant.id, amount=Decimal("60000.00"), reference="缴款书01",
                        recovery_key="r-1", ctx=OFFICE.context())  # a retry: recorded once
    assert app.envelope(envelope.id).remaining == Decimal("1000000.00")
    assert [r["outstanding"] for r in published(app, "FundingRecovered")] == [Decimal("0.00")]


@pytest.mark.parametrize("decision", [None, "warned"])
def test_a_recovery_on_an_allocation_whose_base_is_not_revoked_is_refused_naming_it(app, upstream, decision):
    base_id, envelope = upstream.eligible_base(), open_envelope(app)
    grant = allocate(app, base_id, envelope.id, tranches=TRANCHES)
    pay(app, grant)
    if decision:
        upstream.adjust(base_id, "certified", decision)
    error = refusal(app.record_recovery, grant.id, amount=Decimal("1.00"), reference=None,
                    recovery_key="r-1", ctx=OFFICE.context())
    assert list(error.fields) == ["allocation_id"] and "not revoked" in error.message
    assert app.allocation(grant.id).recovered == 0
    assert app.envelope(envelope.id).remaining == Decimal("900000.00")


def test_a_redelivered_revocation_takes_effect_once(app, upstream):
    base_id, envelope = upstream.eligible_base(), open_envelope(app)
    allocate(app, base_id, envelope.id, tranches=TRANCHES)
    revocation = upstream.adjust(base_id, "certified", "revoked")
    assert app.receive(revocation) is False
    assert len(published(app, "FundingCancelled")) == 1
    assert app.envelope(envelope.id).remaining == Decimal("1000000.00")


# -- decisions replayed out of order; payments against the base's standing ---------------------

def pay(app, grant, number=0):
    tranche = grant.tranches[number]
    return app.disburse(grant.id, tranche_id=tranche["tranche_id"], milestone=tranche["milestone"],
                        reference=None, ctx=OFFICE.context())


def history_events(app, base_id) -> list[str]:
    return [entry["event"] for entry in app.base_funding(base_id)["history"]]


def test_a_replayed_parked_warning_older_than_the_latest_decision_changes_nothing(app, upstream):
    base_id, envelope = upstream.eligible_base(), open_envelope(app)
    grant = allocate(app, base_id, envelope.id, tranches=TRANCHES)
    warning = upstream.adjust_parked(base_id, "certified", "warned", "年度评估不合格")  # #2
    upstream.adjust(base_id, "warned", "retained", "整改到位")  # #3, evaluation's latest

    assert app.replay_parked(warning, OPS.context())

    funding = app.base_funding(base_id)
    assert (funding["status"], funding["eligible"]) == ("retained", True)
    assert app.allocation(grant.id).status == "active"
    assert history_events(app, base_id)[-1] == "StaleStatusIgnored"
    assert pay(app, grant).total_of("disbursed") == Decimal("60000.00")


def test_a_replayed_parked_revocation_older_than_the_latest_decision_cancels_nothing(app, upstream):
    base_id, envelope = upstream.eligible_base(), open_envelope(app)
    grant = allocate(app, base_id, envelope.id, tranches=TRANCHES)
    revocation = upstream.adjust_parked(base_id, "certified", "revoked")
    upstream.adjust(base_id, "certified", "recommended_national", "评估优秀")

    assert app.replay_parked(revocation, OPS.context())

    assert app.base_funding(base_id)["status"] == "recommended_national"
    assert app.allocation(grant.id).total_of("cancelled") == 0
    assert published(app, "FundingCancelled") == []
    assert app.envelope(envelope.id).remaining == Decimal("900000.00")


def test_a_parked_revocation_replayed_with_nothing_newer_demands_back_what_was_paid_meanwhile(app, upstream):
    base_id, envelope = upstream.eligible_base(), open_envelope(app)
    grant = allocate(app, base_id, envelope.id, tranches=TRANCHES)
    revocation = upstream.adjust_parked(base_id, "certified", "revoked", "撤销")
    pay(app, grant)  # funding does not know of the revocation yet

    assert app.replay_parked(revocation, OPS.context())

    grant = app.allocation(grant.id)
    assert (grant.status, grant.recovery_demanded, grant.total_of("cancelled")) == (
        "recovering", Decimal("60000.00"), Decimal("40000.00"))
    assert app.envelope(envelope.id).remaining == Decimal("940000.00")


def test_a_payment_is_refused_naming_the_allocation_while_funding_records_the_base_as_revoked(app, upstream):
    base_id, envelope = upstream.eligible_base(), open_envelope(app)
    grant = allocate(app, base_id, envelope.id, tranches=TRANCHES)
    standing = app.repository.get(base_id)  # the record changed, the allocation not (yet)
    standing.record_status(from_status="certified", to_status="revoked", reason="撤销",
                           position=upstream.positions["evaluation"] + 1, ctx=OFFICE.context())
    app.save(standing)

    error = refusal(pay, app, grant)
    assert list(error.fields) == ["allocation_id"]
    assert str(base_id) in error.message and "revoked" in error.message
    assert app.allocation(grant.id).total_of("disbursed") == 0


def test_a_payment_and_a_concurrent_change_of_the_bases_status_conflict(app, upstream, monkeypatch):
    base_id, envelope = upstream.eligible_base(), open_envelope(app)
    grant = allocate(app, base_id, envelope.id, tranches=TRANCHES)
    save, saves = app.save, []

    def save_after_decision(*aggregates, **kwargs):
        saves.append(aggregates)
        if len(saves) == 1:  # a decision that changes no allocation, only the base's record
            upstream.adjust(base_id, "certified", "recommended_national", "评估优秀")
        return save(*aggregates, **kwargs)

    monkeypatch.setattr(app, "save", save_after_decision)
    pay(app, grant)

    assert len(saves) == 2  # the first payment lost to the decision and checked again
    recorded = [type(event).__name__ for event in app.history(base_id)]
    assert recorded[-2:] == ["StatusRecorded", "Paid"]  # the payment after the decision it saw


# -- queries -----------------------------------------------------------------------------------------

def test_the_summary_agrees_with_the_envelope_and_survives_a_rebuild_from_the_log(app, upstream):
    base_id, envelope = upstream.eligible_base(), open_envelope(app)
    grant = allocate(app, base_id, envelope.id, amount="100000.00", tranches=TRANCHES)
    app.disburse(grant.id, tranche_id=grant.tranches[0]["tranche_id"], milestone="建设方案备案",
                 reference=None, ctx=OFFICE.context())
    upstream.adjust(base_id, "certified", "revoked")
    app.record_recovery(grant.id, amount=Decimal("10000.00"), reference=None, recovery_key="r-1",
                        ctx=OFFICE.context())
    summary = app.envelope_summary(envelope.id)
    expected = {"total": "1000000.00", "allocated": "100000.00", "disbursed": "60000.00",
                "cancelled": "40000.00", "recovery_demanded": "60000.00", "recovered": "10000.00",
                "outstanding_recovery": "50000.00", "remaining": "950000.00"}
    assert {key: str(summary[key]) for key in expected} == expected
    assert summary["remaining"] == app.envelope(envelope.id).remaining
    app.views.rebuild()
    assert app.envelope_summary(envelope.id) == summary


def test_a_bases_funding_history_says_who_did_what(app, upstream):
    base_id, envelope = upstream.eligible_base(), open_envelope(app)
    allocate(app, base_id, envelope.id)
    funding = app.base_funding(base_id)
    assert (funding["name"], funding["eligible"], funding["kind"]) == ("山西大学", True, "university")
    events = [(entry["event"], entry["actor"]["role"]) for entry in funding["history"]]
    assert events == [("Recorded", "drc"), ("Declared", "drc"), ("PlanFiled", "drc"),
                      ("StatusRecorded", "drc"), ("Funded", "funding_office"),
                      ("Allocated", "funding_office")]


def test_the_finance_export_is_excel_ready_csv_with_exact_amounts(app, upstream):
    base_id = upstream.eligible_base(name="=HYPERLINK(\"http://evil\")")
    other = open_envelope(app, name="2017年专项", total="5000.00")
    envelope = open_envelope(app)
    allocate(app, base_id, envelope.id, amount="123456.78")
    allocate(app, base_id, other.id, amount="10.00")

    text = app.export_csv(envelope_id=envelope.id)
    assert text.startswith("\ufeff预算年度,资金来源,")
    header, *rows = list(csv.reader(io.StringIO(text[1:])))
    assert len(rows) == 1
    row = dict(zip(header, rows[0]))
    assert row["分配金额（元）"] == "123456.78" and row["已拨付（元）"] == "0.00"
    assert row["资金来源"] == "省级预算内资金" and row["状态"] == "执行中"
    assert row["基地名称"].startswith("'=")  # a spreadsheet shows it, never runs it


def test_every_event_about_a_base_names_it_for_audits_by_base(app, upstream):
    base_id, envelope = upstream.eligible_base(), open_envelope(app)
    grant = allocate(app, base_id, envelope.id, tranches=TRANCHES)
    upstream.adjust(base_id, "certified", "warned")
    upstream.adjust(base_id, "warned", "retained")
    app.disburse(grant.id, tranche_id=grant.tranches[0]["tranche_id"], milestone="建设方案备案",
                 reference=None, ctx=OFFICE.context())
    upstream.adjust(base_id, "retained", "revoked")
    app.record_recovery(grant.id, amount=Decimal("1.00"), reference=None, recovery_key="r-1",
                        ctx=OFFICE.context())

    named = [(type(event).__qualname__, app.base_of(event)) for _, event in app.all_events()]
    assert len({kind for kind, _ in named}) == 16  # every kind of event funding records
    assert {kind for kind, base in named if base is None} == {"Envelope.Opened"}
    assert {base for _, base in named if base is not None} == {base_id}


# -- milestones and order -------------------------------------------------------------------------

def test_a_tranche_waits_for_its_milestone_and_for_the_tranches_before_it(app, upstream):
    base_id, envelope = upstream.eligible_base(), open_envelope(app)
    grant = allocate(app, base_id, envelope.id, tranches=TRANCHES)
    assert [t["milestone"] for t in grant.tranches] == ["plan_filed", "evaluation_passed"]
    early = refusal(pay, app, grant, 1)
    assert list(early.fields) == ["tranche_id"] and "not paid yet" in early.message
    pay(app, grant, 0)
    not_yet = refusal(pay, app, grant, 1)
    assert list(not_yet.fields) == ["milestone"] and "evaluation_passed" in not_yet.message
    upstream.adjust(base_id, "certified", "retained", "第三方评估良好", basis="evaluation")
    assert pay(app, grant, 1).total_of("disbursed") == Decimal("100000.00")


def test_new_tranches_name_a_step_and_old_free_text_ones_are_still_paid(app, upstream):
    base_id, envelope = upstream.eligible_base(), open_envelope(app)
    free_text = refusal(allocate, app, base_id, envelope.id,
                        tranches=[{"amount": Decimal("100000.00"), "milestone": "2018年第三方评估合格"}])
    assert list(free_text.fields) == ["tranches"]
    old = Allocation(idempotency_key="2017-old", base_id=base_id, envelope_id=envelope.id,
                     fiscal_year=2017, fund_source="provincial_budget", amount=Decimal("10.00"),
                     purpose="补助", tranches=[{"tranche_id": uuid4(), "amount": Decimal("10.00"),
                                                "milestone": "2018年度第三方评估合格"}], ctx=OFFICE.context())
    tranche = old.tranches[0]["tranche_id"]
    old.disburse(tranche_id=tranche, milestone="2018年度第三方评估合格", reference=None, reached=set(),
                 ctx=OFFICE.context())
    assert old.tranche(tranche)["state"] == "disbursed"


# -- the console's summary and 待办 ---------------------------------------------------------------

def test_the_summary_sums_every_envelope_in_decimal_strings_and_todo_lists_tranches_to_pay(app, upstream):
    envelope = open_envelope(app)
    base_id = upstream.eligible_base()
    allocation = allocate(app, base_id, envelope.id, amount="100000.00", tranches=TRANCHES)
    pay(app, allocation, 0)
    summary = app.money_summary()
    assert (summary["allocated"], summary["disbursed"], summary["recovered"]) == ("100000.00", "60000.00", "0.00")
    assert summary["by_fiscal_year"]["2017"]["remaining"] == "900000.00"
    items = app.todo(OFFICE)
    assert [(i["task"], i["base_name"], i["amount"]) for i in items] == [("disburse_tranche", "山西大学", "40000.00")]
    assert app.todo(OPS) == []  # the office's work, nobody else's
