"""Supervision, evaluation and dynamic adjustment (督促检查、第三方评估、动态调整): the bases
report their 2018 H1 metrics, a third-party round grades them (some recommended for
national level, two warned, the rest retained), the DRC accepts one rectification, a
later inspection round revokes the base that failed again, and funding cancels its
unpaid money and recovers what it was paid."""

from collections import Counter
from decimal import Decimal

from services.contracts.vocabulary import STATUSES

from . import data
from .construction import pay_tranche, wait_for_funding_status
from .polling import wait_for
from .programme import DeclaredBase, Programme
from .selection import score

THIRD_PARTY_ROUND = ("third_party", "2018年度省级双创示范基地第三方评估", "2018H1")
INSPECTION_ROUND = ("inspection", "2018年下半年省级双创示范基地督促检查", "2018H2")


def report_metrics(p: Programme, bases: list[DeclaredBase]) -> None:
    for index, base in enumerate(bases):
        body = {"period": "2018H1", "values": data.metrics_2018h1(base.name, base.kind, index),
                "note": "2018年上半年建设进展统计"}
        p.api.post(base.applicant, "evaluation", f"/bases/{base.base_id}/metrics", body, expect=201)
    p.step(f"监测数据：{len(bases)} 个基地报送 2018H1 孵化、就业、融资、专利和活动数据")


def run_round(p: Programme, spec: tuple, targets: dict, panel: list[tuple]) -> list[dict]:
    """Opens a round for every base in good standing, has it scored, closes it under the
    adjustment policy in force, and waits until registry and funding have the decisions."""
    kind, name, period = spec
    opened = p.api.post(p.drc, "evaluation", "/rounds",
                        {"kind": kind, "name": name, "period": period}, expect=201)
    p.rounds[name] = opened["round_id"]
    bases = [p.base_of(row) for row in opened["bases"]]
    sheets, scorers = score(p, {"round_id": opened["round_id"]}, bases, targets, panel,
                            "对照建设方案和监测数据逐项评估")
    decisions = p.api.post(p.drc, "evaluation", f"/rounds/{opened['round_id']}/closing", {},
                           expect=201)["decisions"]
    p.decisions[name] = decisions
    for decision in decisions:
        base = p.base_of(decision)
        eligible = decision["to_status"] in ("retained", "recommended_national")
        wait_for_registry_status(p, base, decision["to_status"])
        wait_for_funding_status(p, [base], decision["to_status"], eligible)
    counts = Counter(STATUSES[d["to_status"]] for d in decisions)
    p.step(f"{name}：{len(bases)} 个基地，{scorers} 位专家评分表 {sheets} 份，"
           + "，".join(f"{status} {n} 个" for status, n in counts.most_common()))
    return decisions


def wait_for_registry_status(p: Programme, base: DeclaredBase, status: str) -> None:
    wait_for(lambda: p.api.get(p.drc, "registry", f"/bases/{base.base_id}")["status"] == status,
             what=f"the registry to record {base.name} as {status}")


def evaluate_2018(p: Programme, bases: list[DeclaredBase]) -> None:
    """The third-party round, then the second tranches of the bases that passed."""
    report_metrics(p, bases)
    decisions = run_round(p, THIRD_PARTY_ROUND, data.THIRD_PARTY_SCORES, data.THIRD_PARTY_PANEL)
    passed = [p.base_of(d) for d in decisions
              if d["to_status"] in ("retained", "recommended_national")]
    paid = pay_tranche(p, passed, 1, data.SECOND_PAYMENT_REFERENCE)
    held = len(decisions) - len(passed)
    p.step(f"资金拨付：评估合格的 {len(passed)} 个基地第二期资金到位，共 {paid} 元；"
           f"警示整改的 {held} 个基地暂缓拨付")


def rectify(p: Programme) -> None:
    """The DRC accepts one warned base's rectification: retained, its money flows again."""
    base = p.bases[data.RECTIFIED]
    p.api.post(p.drc, "evaluation", f"/bases/{base.base_id}/rectification",
               {"note": data.RECTIFICATION_NOTE}, expect=201)
    wait_for_registry_status(p, base, "retained")
    wait_for_funding_status(p, [base], "retained", True)
    paid = pay_tranche(p, [base], 1, data.SECOND_PAYMENT_REFERENCE)
    p.step(f"整改验收：{base.name} 整改到位，保留资格，暂缓的第二期 {paid} 元恢复拨付")


def inspect_and_revoke(p: Programme) -> None:
    """The 2018 H2 inspection; the base that fails again is revoked and its money
    comes back: unpaid tranches cancelled, paid ones demanded and recovered."""
    decisions = run_round(p, INSPECTION_ROUND, data.INSPECTION_SCORES, data.INSPECTION_PANEL)
    for decision in decisions:
        if decision["to_status"] == "revoked":
            recover(p, p.base_of(decision))


def recover(p: Programme, base: DeclaredBase) -> None:
    allocation = p.allocations[base.name]
    paid = Decimal(allocation["tranches"][0]["amount"])
    path = f"/allocations/{allocation['allocation_id']}"
    demanded = wait_for(
        lambda: (a := p.api.get(p.cast.funding_office, "funding", path))["outstanding_recovery"]
        == f"{paid:.2f}" and a, what=f"funding to demand {base.name}'s money back")
    for number, (share, reference) in enumerate(data.RECOVERY_PARTS, 1):
        amount = (paid * Decimal(share)).quantize(Decimal("0.01"))
        demanded = p.api.post(p.cast.funding_office, "funding", f"{path}/recoveries",
                              {"amount": f"{amount:.2f}", "reference": reference}, expect=201,
                              headers={"Idempotency-Key": f"recovery-{base.base_id}-{number}"})
    p.allocations[base.name] = demanded
    p.step(f"撤销处置：{base.name} 未拨付的 {Decimal(demanded['cancelled']):,.2f} 元取消并退回预算，"
           f"已拨付的 {paid:,.2f} 元分 {len(data.RECOVERY_PARTS)} 次追回"
           f"（尚欠 {Decimal(demanded['outstanding_recovery']):,.2f} 元）")
