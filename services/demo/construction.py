"""Construction (建设) of the certified bases: each drafts its plan, its county government
and its competent department approve it, it is filed with the DRC; then the funding
office opens the provincial budget envelope, allocates to every base with a filed plan
and pays the first tranches."""

from decimal import Decimal

from . import data
from .polling import wait_for
from .programme import DeclaredBase, Programme


def file_plans(p: Programme, bases: list[DeclaredBase]) -> None:
    """Plan, both approvals, filing, for each base, each step by its own actor."""
    for base in bases:
        path = f"/bases/{base.base_id}/plan"
        drafted = p.api.put(base.applicant, "registry", path, data.construction_plan(base.kind))
        version = {"version": drafted["plan"]["version"]}
        county = p.cast.county(base.region, data.county_government_name(base.region))
        p.api.post(county, "registry", f"{path}/approvals", version, expect=201)
        p.api.post(p.cast.competent(base.competent_department), "registry", f"{path}/approvals",
                   version, expect=201)
        p.api.post(base.applicant, "registry", f"{path}/filing", expect=201)
    approvers = {data.county_government_name(b.region) for b in bases} | {
        b.competent_department for b in bases}
    p.step(f"建设方案：{len(bases)} 个基地起草，{len(approvers)} 个县级政府和主管部门审议通过，"
           f"全部报省发展改革委备案")


def funding_of(p: Programme, base: DeclaredBase) -> dict:
    return p.api.get(p.cast.funding_office, "funding", f"/bases/{base.base_id}/funding")


def wait_for_funding_status(p: Programme, bases: list[DeclaredBase], status: str,
                            eligible: bool) -> None:
    """Funding decides from its own record of upstream events: wait until it has them."""
    for base in bases:
        wait_for(lambda base=base: (f := funding_of(p, base))["status"] == status
                 and f["eligible"] == eligible,
                 what=f"funding to record {base.name} as {status}")


def allocate_and_pay(p: Programme, bases: list[DeclaredBase]) -> None:
    """The 2017 envelope, one allocation per base (two tranches), first tranches paid."""
    office = p.cast.funding_office
    envelope = p.api.post(office, "funding", "/envelopes", {
        "fiscal_year": 2017, "fund_source": "provincial_budget", "total": data.ENVELOPE_TOTAL,
        "name": data.ENVELOPE_NAME}, expect=201)
    p.envelope_id = envelope["envelope_id"]
    for base in bases:
        wait_for(lambda base=base: funding_of(p, base)["eligible"],
                 what=f"funding to learn that {base.name} has a filed plan")
    for base in bases:
        amount = data.ALLOCATIONS[base.name]
        body = {"base_id": base.base_id, "envelope_id": p.envelope_id, "amount": amount,
                "purpose": data.PURPOSE, "tranches": data.tranches(amount)}
        p.allocations[base.name] = p.api.post(
            office, "funding", "/allocations", body, expect=201,
            headers={"Idempotency-Key": f"2017-construction-{base.base_id}"})
    allocated = sum(Decimal(a["amount"]) for a in p.allocations.values())
    p.step(f"资金安排：{envelope['name']} {Decimal(envelope['total']):,.2f} 元，向 {len(bases)} 个"
           f"已备案基地分配 {allocated:,.2f} 元，每笔分两期拨付")
    paid = pay_tranche(p, bases, 0, data.PAYMENT_REFERENCE)
    p.step(f"资金拨付：{len(bases)} 个基地第一期资金到位，共 {paid} 元")


def pay_tranche(p: Programme, bases: list[DeclaredBase], number: int, reference: str) -> str:
    """Pays tranche ``number`` of each base's allocation; returns the total paid."""
    total = Decimal(0)
    for base in bases:
        allocation = p.allocations[base.name]
        tranche = allocation["tranches"][number]
        p.allocations[base.name] = p.api.post(
            p.cast.funding_office, "funding",
            f"/allocations/{allocation['allocation_id']}/tranches/{tranche['tranche_id']}/disbursement",
            {"milestone": tranche["milestone"], "reference": reference}, expect=201)
        total += Decimal(tranche["amount"])
    return f"{total:,.2f}"
