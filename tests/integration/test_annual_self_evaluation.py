"""The annual self-evaluation (年度自评) through the evaluation service over the real
broker, the registry played by an UpstreamLog: a certified base's filed plan sets its
targets, its applicant submits the year's report and sees target, actual and gap, and a
round scored on the rubric that counts figures grades the base on experts + figures."""

from datetime import datetime
from uuid import uuid4


from services.contracts.vocabulary import CONSTRUCTION_TASKS
from services.evaluation.policy import BEIJING
from tests.integration.test_evaluation_api import certified_base
from tests.support.evaluation_http import SHEET, Client, scored
from tests.support.platform import wait_until

FIGURES = {"incubators": 2, "makerspaces": 3, "incubated_enterprises": 48, "jobs_created": 250,
           "patents": 131, "technology_transfers": 25, "financing_raised": "12500000.00",
           "events_held": 40}
DIGEST = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"



def file_plan(platform, registry_log, base_id: str, year: int) -> None:
    """The PlanFiled the registry would publish, with targets due this year."""
    registry_log.emit("PlanFiled", {
        "base_id": base_id, "plan_version": 1, "kind": "university",
        "tasks": [{"task": code, "measures": "建设措施", "reform_areas": []}
                  for code in CONSTRUCTION_TASKS["university"]],
        "targets": [{"metric": "incubated_enterprises", "value": "60.00", "due": f"{year}-12-31"},
                    {"metric": "technology_transfers", "value": "20.00", "due": f"{year}-12-31"}],
        "approvals": [{"actor_id": str(uuid4()), "role": role, "name": "审批单位",
                       "approved_at": f"{year}-01-10T10:00:00+08:00"}
                      for role in ("county_government", "competent_department")]})
    wait_until(lambda: platform.app("evaluation").last_position("registry") >= registry_log.position,
               message="evaluation to record the filed plan")


def test_a_report_is_held_to_the_filed_plan_and_a_round_scores_its_figures(platform, registry_log):
    platform.start("evaluation")
    client, applicant_id = Client(platform), uuid4()
    year = datetime.now(BEIJING).year
    base_id = certified_base(platform, registry_log, applicant_id)
    file_plan(platform, registry_log, base_id, year)
    applicant = platform.headers("applicant", actor_id=applicant_id)
    report = {"year": year, "figures": FIGURES,
              "narratives": {code: "年度建设任务完成情况" for code in CONSTRUCTION_TASKS["university"]},
              "documents": [{"sha256": DIGEST, "name": f"{year}年度自评报告.pdf"}]}

    float_money = {**report, "figures": {**FIGURES, "financing_raised": 12500000.5}}
    refused = client("POST", f"/bases/{base_id}/annual-reports", float_money, headers=applicant,
                     expect=400)
    assert "financing_raised" in refused["error"]["fields"]["figures"]
    client("POST", f"/bases/{base_id}/annual-reports", report,
           headers=platform.headers("applicant", actor_id=uuid4()), expect=403)  # not its base

    submitted = client("POST", f"/bases/{base_id}/annual-reports", report, headers=applicant,
                       expect=201)
    rows = {row["indicator"]: row for row in submitted["comparison"]}
    assert rows["incubated_enterprises"] == {"indicator": "incubated_enterprises", "target": "60.00",
                                             "actual": "48.00", "gap": "-12.00", "status": "short"}
    assert (rows["technology_transfers"]["gap"], rows["patents"]["status"]) == ("5.00", "no_target")
    assert client("GET", f"/bases/{base_id}", headers=applicant)["annual_report"]["plan_version"] == 1
    published, _ = platform.app("evaluation").published_after(0, 1000)
    assert [(e.type, e.payload["year"]) for e in published if e.type == "AnnualReportSubmitted"] == [
        ("AnnualReportSubmitted", year)]

    rubrics = {r["version"]: r for r in client("GET", "/rubrics")["rubrics"]}
    assert rubrics["university-2026.1"]["quantitative"][0] == {
        "indicator": "jobs_created", "name": "带动就业人数", "weight": "10", "zero_at": "0",
        "full_at": "500"}
    assert rubrics["university-2017.1"]["quantitative"] == []
    body = {"kind": "third_party", "name": f"{year}年第三方评估", "period": f"{year}H1",
            "rubrics": {"university": "university-2026.1"}}
    round_id = client("POST", "/rounds", body, expect=201)["round_id"]
    scored(client, {"round_id": round_id, "base_id": base_id}, {k: "90" for k in SHEET},
           name="李研究员")
    shown = client("GET", f"/rounds/{round_id}")["bases"][0]
    assert shown["annual_report"]["comparison"] == submitted["comparison"]
    assert (shown["score"], shown["quantitative"]["points"], shown["total"]) == (
        "63.00", "24.60", "87.60")  # experts 90% of 70; figures 5 + 10 + 9.6 of 30
    closed = client("POST", f"/rounds/{round_id}/closing", {}, expect=201)["decisions"][0]
    assert (closed["score"], closed["grade"], closed["rubric_version"]) == (
        "87.60", "good", "university-2026.1")
