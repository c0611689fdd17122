"""From declaration to certification across both real services over the real broker:
the DRC opens a batch in evaluation, the applicant declares in the registry, the
evaluator scores, the DRC certifies, and the registry records the base as certified."""

from datetime import datetime, timedelta, timezone
from uuid import uuid4

import requests

from tests.support.fixtures import declaration
from tests.support.platform import wait_until

UNIVERSITY_SHEET = {"talent_cultivation": "90", "technology_transfer": "88.50",
                    "student_entrepreneurship": "86", "support_services": "80.25"}


def call(platform, method, service, path, headers, body=None, expect=200):
    response = requests.request(method, platform.url(service, path), json=body, headers=headers)
    assert response.status_code == expect, response.text
    return response.json()


def test_a_base_declared_in_the_registry_is_certified_by_evaluation_and_recorded_there(any_platform):
    platform = any_platform.start("registry", "evaluation")
    drc = platform.headers("drc", name="省发展改革委")
    now = datetime.now(timezone.utc)
    batch = call(platform, "POST", "evaluation", "/batches", drc, expect=201, body={
        "name": "2017年第一批", "opens_at": (now - timedelta(days=1)).isoformat(),
        "closes_at": (now + timedelta(days=30)).isoformat(), "quota": 12})
    wait_until(lambda: call(platform, "GET", "registry", "/batches", drc)["batches"],
               message="the registry to learn of the batch")

    applicant = platform.headers("applicant", name="山西大学", actor_id=uuid4())
    base = call(platform, "POST", "registry", "/bases", applicant, declaration(batch["batch_id"]), 201)
    base_path = f"/bases/{base['base_id']}"
    wait_until(lambda: requests.get(platform.url("evaluation", base_path), headers=drc).ok,
               message="evaluation to receive the declaration")

    evaluator = call(platform, "POST", "evaluation", "/evaluators", drc, expect=201, body={
        "name": "王教授", "organisation": "山西省科学技术厅评审专家库",
        "region": {"city": "大同市", "county": "平城区"}})
    occasion = {"batch_id": batch["batch_id"], "base_id": base["base_id"]}
    call(platform, "POST", "evaluation", "/assignments", drc,
         {**occasion, "evaluator_id": evaluator["evaluator_id"]}, 201)
    expert = platform.headers("evaluator", name="王教授", actor_id=evaluator["evaluator_id"])
    call(platform, "POST", "evaluation", "/scores", expert, {**occasion, "scores": UNIVERSITY_SHEET}, 201)
    call(platform, "POST", "evaluation", f"/batches/{batch['batch_id']}/closing", drc, expect=201)
    ranking = call(platform, "GET", "evaluation", f"/batches/{batch['batch_id']}/ranking", drc)
    # (90×25 + 88.5×30 + 86×25 + 80.25×20) / 100
    assert [(r["rank"], r["score"]) for r in ranking["ranking"]] == [(1, "86.60")]

    certified = call(platform, "POST", "evaluation", f"/batches/{batch['batch_id']}/certification",
                     drc, {}, 201)["decisions"]
    assert [(d["to_status"], d["score"]) for d in certified] == [("certified", "86.60")]

    recorded = wait_until(
        lambda: (b := call(platform, "GET", "registry", base_path, drc))["status"] == "certified" and b,
        message="the registry to record the certification")
    adjustment = recorded["adjustments"][0]
    assert (adjustment["from_status"], adjustment["to_status"], adjustment["basis"]) == (
        "declared", "certified", "selection")
    assert adjustment["decision"]["score"] == "86.60"
    assert adjustment["decision"]["rubric_version"] == "university-2017.1"
    assert "认定为省级双创示范基地" in adjustment["reason"]
    own = call(platform, "GET", "evaluation", base_path, applicant)
    assert own["status"] == "certified" and own["decisions"][0]["decided_by"]["role"] == "drc"
