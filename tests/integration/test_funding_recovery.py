"""Decisions about a base arriving over the real broker: a warned base's tranches are
held, a revoked base's are cancelled and its paid money recovered, the envelope gets
its money back; and every envelope's summary equals a fold of the published log."""

import csv
import io
from decimal import Decimal
from uuid import uuid4

import pytest
import requests
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy

from tests.support.funding import FundingUnderTest

TRANCHES = [{"amount": "600000.00", "milestone": "建设方案备案"},
            {"amount": "400000.00", "milestone": "评估合格"}]


@pytest.fixture
def funding(platform):
    service = FundingUnderTest(platform)
    yield service
    service.close()


def granted(funding, base_id, envelope_id, amount="1000000.00", tranches=TRANCHES) -> dict:
    response = funding.allocate(base_id, envelope_id, amount=amount, tranches=tranches)
    assert response.status_code == 201, response.text
    return response.json()


def disburse(funding, allocation, number=0):
    tranche = allocation["tranches"][number]
    return requests.post(
        funding.url(f"/allocations/{allocation['allocation_id']}/tranches/{tranche['tranche_id']}/disbursement"),
        json={"milestone": tranche["milestone"]}, headers=funding.office())


def recover(funding, allocation, amount, key=None):
    """Records a recovery, under a fresh Idempotency-Key unless the test names one."""
    headers = funding.office(**{"Idempotency-Key": key or str(uuid4())})
    return requests.post(funding.url(f"/allocations/{allocation['allocation_id']}/recoveries"),
                         json={"amount": amount, "reference": "缴款书 2018-0042"}, headers=headers)


def published_log(funding) -> list[dict]:
    """Funding's whole published log, page by page, as a department would read it."""
    events, after, headers = [], 0, funding.platform.headers("department")
    while True:
        page = requests.get(funding.url("/events"), params={"after": after, "limit": 3},
                            headers=headers).json()
        events += page["events"]
        if page["scanned"] >= page["head"]:
            # each names the one published before it, across pages and unpublished events
            assert [e["previous_position"] for e in events] == [None] + [e["position"] for e in events[:-1]]
            return events
        after = page["scanned"]


def fold(events) -> dict:
    """Envelope amounts from the published events alone, independently of the service."""
    moved_by = {"FundingAllocated": "allocated", "FundingDisbursed": "disbursed",
                "FundingCancelled": "cancelled", "FundingRecoveryDemanded": "recovery_demanded",
                "FundingRecovered": "recovered"}
    ledgers = {}
    for event in events:
        payload = event["payload"]
        if event["type"] == "BudgetEnvelopeOpened":
            ledgers[payload["envelope_id"]] = {"total": Decimal(payload["total"]),
                                               **dict.fromkeys(moved_by.values(), Decimal(0))}
        elif event["type"] in moved_by:
            ledgers[payload["envelope_id"]][moved_by[event["type"]]] += Decimal(payload["amount"])
    for ledger in ledgers.values():
        ledger["remaining"] = ledger["total"] - ledger["allocated"] + ledger["cancelled"] + ledger["recovered"]
    return ledgers


def test_a_revocation_over_the_broker_cancels_unpaid_tranches_and_demands_back_paid_money(funding):
    base_id = funding.eligible_base()
    envelope_id = funding.open_envelope(total="3000000.00")["envelope_id"]
    allocation = granted(funding, base_id, envelope_id)
    assert disburse(funding, allocation).status_code == 201

    funding.adjust(base_id, "certified", "revoked", "整改不到位，撤销省级双创示范基地")

    summary = funding.summary(envelope_id)
    assert (summary["cancelled"], summary["remaining"]) == ("400000.00", "2400000.00")
    published = funding.published("FundingCancelled", "FundingRecoveryDemanded")
    (cancelled,), (demanded,) = published["FundingCancelled"], published["FundingRecoveryDemanded"]
    unpaid = allocation["tranches"][1]
    assert cancelled["tranches"] == [{key: unpaid[key] for key in ("tranche_id", "amount", "milestone")}]
    assert cancelled["reason"] == "整改不到位，撤销省级双创示范基地"
    assert demanded["amount"] == "600000.00"
    assert disburse(funding, allocation, 1).status_code == 422  # cancelled

    assert recover(funding, allocation, "600000.01").status_code == 422
    in_body = requests.post(funding.url(f"/allocations/{allocation['allocation_id']}/recoveries"),
                            json={"amount": "1.00", "idempotency_key": "r-0"},
                            headers=funding.office(**{"Idempotency-Key": "r-0"}))
    assert in_body.status_code == 400, in_body.text  # the key goes in its header only
    assert in_body.json()["error"]["fields"] == {"idempotency_key": ["Unknown field."]}
    assert recover(funding, allocation, "200000.00", key="r-1").status_code == 201
    assert recover(funding, allocation, "200000.00", key="r-1").json()["recovered"] == "200000.00"
    done = recover(funding, allocation, "400000.00")
    assert (done.json()["status"], done.json()["outstanding_recovery"]) == ("recovered", "0.00")
    assert funding.summary(envelope_id)["remaining"] == "3000000.00"


def test_a_recovery_without_an_idempotency_key_is_refused_naming_it_and_records_nothing(funding):
    base_id = funding.eligible_base()
    envelope_id = funding.open_envelope()["envelope_id"]
    allocation = granted(funding, base_id, envelope_id)
    assert disburse(funding, allocation).status_code == 201
    funding.adjust(base_id, "certified", "revoked", "撤销")
    path = f"/allocations/{allocation['allocation_id']}/recoveries"

    keyless = requests.post(funding.url(path), json={"amount": "1000.00"}, headers=funding.office())
    assert keyless.status_code == 400, keyless.text
    assert list(keyless.json()["error"]["fields"]) == ["Idempotency-Key"]
    office = funding.platform.token("funding_office")
    with ClusterRpcProxy(funding.platform.config_for_clients(), timeout=10,
                         context_data={"authorization": f"Bearer {office}"}) as cluster:
        with pytest.raises(RemoteError) as caught:
            cluster.funding.record_recovery(allocation["allocation_id"], amount="1000.00")
        assert caught.value.exc_type == "BadRequest" and "Idempotency-Key" in caught.value.value
        assert cluster.funding.record_recovery(allocation["allocation_id"], amount="1000.00",
                                               idempotency_key="r-rpc")["recovered"] == "1000.00"
    assert funding.summary(envelope_id)["recovered"] == "1000.00"


def test_a_warned_bases_tranches_are_held_and_paid_once_it_is_retained(funding):
    base_id = funding.eligible_base()
    envelope_id = funding.open_envelope()["envelope_id"]
    allocation = granted(funding, base_id, envelope_id)
    funding.adjust(base_id, "certified", "warned", "年度评估不合格，限期整改")

    held = disburse(funding, allocation)
    assert held.status_code == 422 and "限期整改" in held.json()["error"]["fields"]["tranche_id"][0]
    base = requests.get(funding.url(f"/bases/{base_id}/funding"), headers=funding.office()).json()
    assert (base["eligible"], base["allocations"][0]["status"]) == (False, "held")
    assert funding.summary(envelope_id)["cancelled"] == "0.00"
    not_revoked = recover(funding, allocation, "1.00")
    assert not_revoked.status_code == 422, not_revoked.text
    assert "not revoked" in not_revoked.json()["error"]["fields"]["allocation_id"][0]

    funding.adjust(base_id, "warned", "retained", "整改到位，保留")
    assert disburse(funding, allocation).status_code == 201


def test_every_envelope_summary_equals_the_fold_of_the_published_log(funding):
    kept, revoked = funding.eligible_base(), funding.eligible_base(name="孝义市", kind="regional")
    budget = funding.open_envelope(total="5000000.00")["envelope_id"]
    special = funding.open_envelope(total="2000000.00", fund_source="special_fund")["envelope_id"]
    first = granted(funding, kept, budget)
    disburse(funding, first)
    granted(funding, kept, special, amount="500000.00", tranches=[{"amount": "500000.00", "milestone": "建设方案备案"}])
    lost = granted(funding, revoked, budget, amount="1500000.00", tranches=[
        {"amount": "1000000.00", "milestone": "建设方案备案"}, {"amount": "500000.00", "milestone": "评估合格"}])
    disburse(funding, lost)
    lost_special = granted(funding, revoked, special)
    funding.adjust(revoked, "certified", "revoked", "撤销")
    recover(funding, lost, "250000.00")

    ledgers = fold(published_log(funding))
    for envelope_id in (budget, special):
        summary = funding.summary(envelope_id)
        assert {key: Decimal(summary[key]) for key in ledgers[envelope_id]} == ledgers[envelope_id]
    assert funding.summary(special)["cancelled"] == lost_special["amount"]
    assert funding.summary(budget)["remaining"] == "3250000.00"


def test_the_finance_export_opens_in_excel_with_exact_amounts(funding):
    base_id = funding.eligible_base(name="启迪（太原）科技园投资发展有限公司", kind="enterprise")
    envelope_id = funding.open_envelope(total="2000000.00")["envelope_id"]
    allocation = granted(funding, base_id, envelope_id, amount="1234567.89", tranches=[
        {"amount": "1234567.89", "milestone": "建设方案备案"}])
    disburse(funding, allocation)

    response = requests.get(funding.url("/allocations.csv"), params={"fiscal_year": 2017},
                            headers=funding.platform.headers("department"))
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark for Excel
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 1
    assert rows[0]["基地名称"] == "启迪（太原）科技园投资发展有限公司"
    assert rows[0]["示范类型"] == "企业示范基地"
    assert (rows[0]["分配金额（元）"], rows[0]["已拨付（元）"], rows[0]["状态"]) == ("1234567.89", "1234567.89", "已拨付完毕")
