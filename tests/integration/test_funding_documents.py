"""A payment's voucher (拨付凭证) over HTTP: attached by the funding office to a paid
tranche only, read by the ledger's readers, not by ops."""

import requests

from tests.support import documents as samples
from tests.support.funding import FundingUnderTest


def test_a_paid_tranche_gets_its_voucher_and_only_funding_readers_see_it(platform):
    funding = FundingUnderTest(platform)
    try:
        base_id = funding.eligible_base()
        envelope_id = funding.open_envelope()["envelope_id"]
        allocation = funding.allocate(base_id, envelope_id, amount="300.00", tranches=[
            {"amount": "200.00", "milestone": "plan_filed"},
            {"amount": "100.00", "milestone": "evaluation_passed"}]).json()
        first, second = (t["tranche_id"] for t in allocation["tranches"])
        documents = funding.url(f"/allocations/{allocation['allocation_id']}/documents")

        def attach(tranche_id):
            return requests.post(documents, headers=funding.office(),
                                 data={"kind": "payment_voucher", "tranche_id": tranche_id},
                                 files={"file": ("拨付凭证.png", samples.PNG)})

        assert attach(first).status_code == 422  # not paid yet
        paid = requests.post(funding.url(f"/allocations/{allocation['allocation_id']}/tranches/{first}/disbursement"),
                             json={"milestone": "建设方案备案"}, headers=funding.office())
        assert paid.status_code == 201, paid.text
        voucher = attach(first)
        assert voucher.status_code == 201, voucher.text
        assert voucher.json()["attached_to"] == {"on": "payment", "tranche_id": first}
        assert attach(second).json()["error"]["fields"] == {"tranche_id": [
            f"tranche {second} is not paid: a payment's documents are attached once it is"]}

        url = f"{documents}/{voucher.json()['document_id']}"
        got = requests.get(url, headers=platform.headers("drc"))
        assert got.status_code == 200 and got.content == samples.PNG and got.headers["Content-Type"] == "image/png"
        assert requests.get(url, headers=platform.headers("ops")).status_code == 403
        listed = requests.get(documents, headers=platform.headers("department")).json()["documents"]
        assert [d["kind"] for d in listed] == ["payment_voucher"]
    finally:
        funding.close()
