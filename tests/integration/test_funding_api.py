"""Funding's HTTP and RPC API: who may do what, every refusal naming its field, and an
Idempotency-Key that makes a retried allocation safe."""

from uuid import uuid4

import pytest
import requests
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy

from tests.support.funding import FundingUnderTest, allocation_body


@pytest.fixture
def funding(platform):
    service = FundingUnderTest(platform)
    yield service
    service.close()


def test_only_the_funding_office_changes_anything_and_readers_read(funding):
    platform, url = funding.platform, funding.url("/envelopes")
    body = {"fiscal_year": 2017, "fund_source": "special_fund", "total": "100.00"}

    assert requests.post(url, json=body).json()["error"]["code"] == "unauthenticated"
    for role in ("drc", "department", "ops", "applicant"):
        refused = requests.post(url, json=body, headers=platform.headers(role))
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert requests.post(url, json=body, headers=funding.office()).status_code == 201
    for role in ("drc", "department", "ops", "funding_office"):
        listed = requests.get(url, headers=platform.headers(role))
        assert listed.status_code == 200 and listed.json()["count"] == 1
    for role in ("applicant", "evaluator", "county_government"):
        assert requests.get(url, headers=platform.headers(role)).status_code == 403
    assert requests.get(url).status_code == 401


def test_envelopes_are_paged_and_sorted_like_every_list(funding):
    url, office = funding.url("/envelopes"), funding.office()
    for year, total in ((2017, "300.00"), (2018, "100.00"), (2019, "200.00")):
        body = {"fiscal_year": year, "fund_source": "special_fund", "total": total}
        assert requests.post(url, json=body, headers=office).status_code == 201
    page = requests.get(url, params={"sort": "-total", "limit": 2}, headers=office).json()
    assert [e["total"] for e in page["envelopes"]] == ["300.00", "200.00"]  # Decimal order, strings out
    assert (page["count"], page["total"], page["offset"], page["limit"]) == (2, 3, 0, 2)
    last = requests.get(url, params={"sort": "-total", "offset": 2}, headers=office).json()
    assert [e["fiscal_year"] for e in last["envelopes"]] == [2018]
    refused = requests.get(url, params={"sort": "caps"}, headers=office)
    assert refused.status_code == 400 and "sort" in refused.json()["error"]["fields"]


def test_fundings_log_is_read_by_fundings_readers_only_not_by_every_reader_of_other_logs(funding):
    platform = funding.platform
    funding.open_envelope()
    for role in ("funding_office", "drc", "department", "ops", "service"):
        page = requests.get(funding.url("/events"), headers=platform.headers(role))
        assert page.status_code == 200 and page.json()["events"], role
    for role in ("evaluator", "county_government", "competent_department", "applicant"):
        assert requests.get(funding.url("/events"), headers=platform.headers(role)).status_code == 403
        with ClusterRpcProxy(platform.config_for_clients(), timeout=10, context_data={
                "authorization": f"Bearer {platform.token(role)}"}) as cluster:
            with pytest.raises(RemoteError) as caught:
                cluster.funding.events_after(after=0)
            assert caught.value.exc_type == "Forbidden", role


def test_malformed_money_and_fields_are_400_naming_each_field(funding):
    envelope = requests.post(funding.url("/envelopes"), headers=funding.office(), json={
        "fund_source": "lottery", "total": 1000000.5, "caps": {"by_kind": {"hospital": "1.00"}},
        "colour": "red"})
    assert envelope.status_code == 400
    fields = envelope.json()["error"]["fields"]
    assert "floats are not accepted" in fields["total"][0]
    assert set(fields) == {"fiscal_year", "fund_source", "total", "caps", "colour"}

    base_id = funding.eligible_base()
    envelope_id = funding.open_envelope()["envelope_id"]
    negative = funding.allocate(base_id, envelope_id, amount="-5.00")
    assert "greater than 0" in negative.json()["error"]["fields"]["amount"][0]
    unbalanced = funding.allocate(base_id, envelope_id, amount="100.00",
                                  tranches=[{"amount": "60.00", "milestone": "建设方案备案"}])
    assert unbalanced.status_code == 400 and "tranches" in unbalanced.json()["error"]["fields"]
    keyless = requests.post(funding.url("/allocations"), headers=funding.office(),
                            json=allocation_body(base_id, envelope_id))
    assert keyless.status_code == 400 and "Idempotency-Key" in keyless.json()["error"]["fields"]
    too_long = funding.allocate(base_id, envelope_id, key="k" * 201)
    assert too_long.status_code == 400 and "Idempotency-Key" in too_long.json()["error"]["fields"]
    assert funding.summary(envelope_id)["allocations"] == 0


def test_each_refused_allocation_is_422_naming_the_field_and_saying_why(funding):
    university = funding.eligible_base()
    warned = funding.eligible_base(name="孝义市", kind="regional")
    funding.adjust(warned, "certified", "warned", "年度评估不合格")
    envelope_id = funding.open_envelope(total="500000.00", caps={
        "by_kind": {"regional": "100000.00"}, "by_base": {university: "200000.00"}})["envelope_id"]

    def refused(base_id, amount, envelope=envelope_id):
        response = funding.allocate(base_id, envelope, amount=amount)
        assert response.status_code == 422, response.text
        (field, (message,)), = response.json()["error"]["fields"].items()
        return field, message

    assert refused(str(uuid4()), "1.00")[0] == "base_id"
    field, message = refused(warned, "1.00")
    assert field == "base_id" and "warned" in message
    assert refused(university, "1.00", envelope=str(uuid4()))[0] == "envelope_id"
    field, message = refused(university, "200000.01")
    assert field == "amount" and "cap of 200000.00" in message
    other = funding.eligible_base(name="长治市城区", kind="regional")
    field, message = refused(other, "100000.01")
    assert field == "amount" and "区域示范基地" in message
    assert funding.allocate(university, envelope_id, amount="200000.00").status_code == 201
    assert funding.allocate(other, envelope_id, amount="100000.00").status_code == 201
    field, message = refused(funding.eligible_base(name="太原理工大学"), "200000.01")
    assert field == "amount" and "200000.00 remaining" in message


def test_a_retried_allocation_returns_the_first_and_is_published_once(funding):
    base_id = funding.eligible_base()
    envelope_id = funding.open_envelope()["envelope_id"]
    first = funding.allocate(base_id, envelope_id, key="jincai-2017-0001")
    retry = funding.allocate(base_id, envelope_id, key="jincai-2017-0001")
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    different = funding.allocate(base_id, envelope_id, amount="5.00", key="jincai-2017-0001")
    assert different.status_code == 409 and "Idempotency-Key" in different.json()["error"]["fields"]

    allocated = funding.published("FundingAllocated")["FundingAllocated"]
    assert [payload["allocation_id"] for payload in allocated] == [first.json()["allocation_id"]]
    assert funding.summary(envelope_id)["allocated"] == "100000.00"


def test_the_same_key_from_two_users_is_two_allocations_and_neither_sees_the_others(funding):
    base_id = funding.eligible_base()
    envelope_id = funding.open_envelope()["envelope_id"]
    colleague = funding.platform.headers("funding_office", name="资金管理处 李", actor_id=uuid4())

    def allocate_as(headers, amount):
        return requests.post(funding.url("/allocations"), headers={**headers, "Idempotency-Key": "1"},
                             json=allocation_body(base_id, envelope_id, amount))

    mine = allocate_as(funding.office(), "100000.00")
    theirs = allocate_as(colleague, "250000.00")
    assert (mine.status_code, theirs.status_code) == (201, 201), theirs.text
    assert theirs.json()["allocation_id"] != mine.json()["allocation_id"]
    retry = allocate_as(colleague, "250000.00")
    assert (retry.status_code, retry.headers["Idempotent-Replayed"]) == (200, "true")
    assert retry.json() == theirs.json()
    reused = allocate_as(colleague, "5.00")
    assert reused.status_code == 409 and mine.json()["allocation_id"] not in reused.text
    assert funding.summary(envelope_id)["allocated"] == "350000.00"


def test_a_tranche_is_paid_once_when_its_milestone_is_stated_and_the_payment_is_published(funding):
    base_id = funding.eligible_base()
    envelope_id = funding.open_envelope()["envelope_id"]
    allocation = funding.allocate(base_id, envelope_id, amount="300.00", tranches=[
        {"amount": "200.00", "milestone": "建设方案备案"},
        {"amount": "100.00", "milestone": "评估合格"}]).json()
    tranche = allocation["tranches"][0]["tranche_id"]
    path = f"/allocations/{allocation['allocation_id']}/tranches/{tranche}/disbursement"

    def disburse(milestone, tranche_path=path):
        return requests.post(funding.url(tranche_path), headers=funding.office(),
                             json={"milestone": milestone, "reference": "晋财拨〔2017〕118号"})

    wrong = disburse("评估合格")
    assert wrong.status_code == 422 and list(wrong.json()["error"]["fields"]) == ["milestone"]
    assert disburse("建设方案备案").status_code == 201
    assert disburse("建设方案备案").status_code == 409
    assert disburse("建设方案备案", path.replace(tranche, str(uuid4()))).status_code == 404
    no_allocation = path.replace(allocation["allocation_id"], str(uuid4()))
    assert disburse("建设方案备案", no_allocation).json()["error"]["code"] == "not_found"
    paid = funding.published("FundingDisbursed")["FundingDisbursed"]
    assert [(payload["tranche_id"], payload["amount"]) for payload in paid] == [(tranche, "200.00")]
    assert funding.summary(envelope_id)["disbursed"] == "200.00"


def test_rpc_needs_a_token_of_the_funding_office_and_honours_the_idempotency_key(funding):
    base_id = funding.eligible_base()
    envelope_id = funding.open_envelope()["envelope_id"]
    body = allocation_body(base_id, envelope_id)

    def rpc(role):
        return ClusterRpcProxy(funding.platform.config_for_clients(), timeout=10,
                               context_data={"authorization": f"Bearer {funding.platform.token(role)}"})

    with rpc("drc") as cluster:
        with pytest.raises(RemoteError) as caught:
            cluster.funding.allocate(idempotency_key="rpc-1", **body)
        assert caught.value.exc_type == "Forbidden"
        assert cluster.funding.envelope(envelope_id)["allocated"] == "0.00"
    with rpc("funding_office") as cluster:
        first = cluster.funding.allocate(idempotency_key="rpc-1", **body)
        again = cluster.funding.allocate(idempotency_key="rpc-1", **body)
        assert first["allocation_id"] == again["allocation_id"]
        assert cluster.funding.envelope(envelope_id)["allocated"] == "100000.00"
