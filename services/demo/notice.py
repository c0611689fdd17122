"""The second batch goes through public notice (公示) before it stands: the DRC announces
the top of the ranking for 5 working days, two people object without signing in, the
DRC dismisses one objection and upholds the other, and when the period has ended (the
demo restarts evaluation with its clock moved past it: the deadline is in its log) the
certification stands for the bases left on the list."""

from datetime import datetime

from . import data
from .polling import wait_for
from .programme import Programme
from .selection import recorded, declare, open_batch, score


def run_batch_with_notice(p: Programme, batch: str, quota: int, declarations: list[dict]) -> None:
    open_batch(p, batch, quota)
    declare(p, batch, declarations)
    p.step(f"{batch}：批次开放（名额 {quota} 个），申报 {len(declarations)} 个基地")
    batch_id = p.batches[batch]
    sheets, scorers = score(p, {"batch_id": batch_id}, p.in_batch(batch), data.SELECTION_SCORES,
                            data.SELECTION_PANEL, "材料齐全，建设基础与方案可行性经专家评审")
    p.api.post(p.drc, "evaluation", f"/batches/{batch_id}/closing", expect=201)
    ranking = p.api.get(p.drc, "evaluation", f"/batches/{batch_id}/ranking")["ranking"]
    proposed = [row for row in ranking if row["rank"] is not None][:quota]
    notice = p.api.post(p.drc, "evaluation", "/notices", {
        "title": f"{batch}省级双创示范基地拟认定名单公示", "purpose": "certification",
        "batch_id": batch_id, "base_ids": [row["base_id"] for row in proposed],
        "working_days": 5, "contact": data.NOTICE_CONTACT}, expect=201)
    p.step(f"{batch}：{scorers} 位专家评分表 {sheets} 份；拟认定 {len(proposed)} 个基地公示，"
           f"公示期 {notice['starts_on']} 至 {notice['ends_at'][:10]}（5 个工作日）")
    answered = object_and_answer(p, notice, proposed)
    conclude(p, notice, batch_id, proposed, answered)


def object_and_answer(p: Programme, notice: dict, proposed: list[dict]) -> dict[str, bool]:
    """Two objections from the public, one dismissed and one upheld."""
    path = f"/notices/{notice['notice_id']}"
    public = p.api.get(p.cast.public, "evaluation", "/notices/current")["notices"]
    assert any(n["notice_id"] == notice["notice_id"] for n in public)
    answered = {}
    for (index, objector, text, upheld, reasons) in data.NOTICE_OBJECTIONS:
        base_id = proposed[index]["base_id"]
        lodged = p.api.post(p.cast.public, "evaluation", f"{path}/objections",
                            {"base_id": base_id, "objector": objector, "text": text}, expect=201)
        p.api.post(p.drc, "evaluation", f"{path}/objections/{lodged['objection_id']}/answer",
                   {"upheld": upheld, "reasons": reasons}, expect=201)
        answered[base_id] = upheld
    p.step(f"公示异议：收到 {len(answered)} 件（未登录提交），省发展改革委核查答复："
           f"{sum(answered.values())} 件成立、{len(answered) - sum(answered.values())} 件不成立")
    return answered


def conclude(p: Programme, notice: dict, batch_id: str, proposed: list[dict],
             answered: dict[str, bool]) -> None:
    """Moves evaluation's clock past the period (a restart: the deadline is in its log)
    and waits until the registry has the certification that stood."""
    ends_at = datetime.fromisoformat(notice["ends_at"])
    ahead = (ends_at - datetime.now(ends_at.tzinfo)).total_seconds() / 86400 + 0.01
    p.restart("evaluation", SC_EVALUATION__CLOCK_OFFSET_DAYS=f"{ahead:.4f}",
              SC_EVALUATION__DEADLINE_CHECK_SECONDS="0.5")
    standing = {row["base_id"] for row in proposed if not answered.get(row["base_id"])}
    expected = {row["base_id"]: "certified" if row["base_id"] in standing else "not_selected"
                for row in p.api.get(p.drc, "registry", "/bases", batch_id=batch_id)["bases"]}
    wait_for(lambda: recorded(p, batch_id, expected),
             what="the notice to conclude and the registry to record the certification")
    p.decisions[data.SECOND_BATCH] = p.api.get(p.drc, "evaluation", "/decisions",
                                               batch_id=batch_id)["decisions"]
    p.step(f"公示期满（服务重启后由截止时钟触发）：认定 {len(standing)} 个，"
           f"异议成立撤出 {sum(answered.values())} 个，其余未入选")
