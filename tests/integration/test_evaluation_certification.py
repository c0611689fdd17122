"""From declaration to certification across both real services over the real broker:
the DRC opens a batch in evaluation, the applicant declares in the registry, the
evaluator scores, the DRC certifies, and the registry records the base as certified."""

from decimal import Decimal
from uuid import uuid4

import requests

from tests.support.evaluation_http import Client, open_batch, scored
from tests.support.fixtures import declaration
from tests.support.platform import wait_until

UNIVERSITY_SHEET = {"talent_cultivation": "90", "technology_transfer": "88.50",
                    "student_entrepreneurship": "86", "support_services": "80.25"}


def test_a_base_declared_in_the_registry_is_certified_by_evaluation_and_recorded_there(any_platform):
    platform = any_platform.start("registry", "evaluation")
    evaluation, registry = Client(platform), Client(platform, "registry")
    batch_id = open_batch(evaluation)
    wait_until(lambda: registry("GET", "/batches")["batches"], message="the registry to learn of the batch")

    applicant = platform.applicant("山西大学", actor_id=uuid4())
    base = registry("POST", "/bases", declaration(batch_id), headers=applicant, expect=201)
    base_path = f"/bases/{base['base_id']}"
    wait_until(lambda: requests.get(platform.url("evaluation", base_path), headers=evaluation.drc).ok,
               message="evaluation to receive the declaration")

    scored(evaluation, {"batch_id": batch_id, "base_id": base["base_id"]}, UNIVERSITY_SHEET)
    evaluation("POST", f"/batches/{batch_id}/closing", expect=201)
    ranking = evaluation("GET", f"/batches/{batch_id}/ranking")["ranking"]
    # (90×25 + 88.5×30 + 86×25 + 80.25×20) / 100
    assert [(row["rank"], row["score"]) for row in ranking] == [(1, "86.60")]
    sheet = evaluation("GET", f"/scores?batch_id={batch_id}")["sheets"][0]
    assert (sheet["scores"]["technology_transfer"], Decimal(sheet["weighted"])) == ("88.50", Decimal("86.6"))
    certified = evaluation("POST", f"/batches/{batch_id}/certification", {}, expect=201)["decisions"]
    assert [(d["to_status"], d["score"]) for d in certified] == [("certified", "86.60")]

    recorded = wait_until(lambda: (b := registry("GET", base_path))["status"] == "certified" and b,
                          message="the registry to record the certification")
    adjustment = recorded["adjustments"][0]
    assert (adjustment["from_status"], adjustment["to_status"], adjustment["basis"]) == (
        "declared", "certified", "selection")
    assert adjustment["decision"]["score"] == "86.60"
    assert adjustment["decision"]["rubric_version"] == "university-2017.1"
    assert "认定为省级双创示范基地" in adjustment["reason"]
    own = evaluation("GET", base_path, headers=applicant)
    assert own["status"] == "certified" and own["decisions"][0]["decided_by"]["role"] == "drc"
    listed = evaluation("GET", "/bases?status=certified&limit=1")
    assert (listed["count"], listed["total"], listed["bases"][0]["base_id"]) == (1, 1, base["base_id"])
    assert evaluation("GET", "/bases?status=certified&offset=1")["bases"] == []
