"""Documents and returns over HTTP: uploads as multipart with their own limit, types
judged by their bytes, downloads only for who may see the base and only as kept; a plan
returned by its county government is revised and approved anew, and both are published."""

from hashlib import sha256
from pathlib import Path

import requests

from tests.integration.test_registry_plans import Actors, approve, declared_and_certified, put_plan
from tests.support import documents as samples
from tests.support.platform import wait_until

LARGER_THAN_A_COMMAND = samples.PDF + b"%" * (1024 * 1024 + 512 * 1024)  # 1.5 MiB


def upload(platform, base_id, headers, data, name="申报书.pdf", **form):
    form = {"kind": "declaration_form", "attached_to": "declaration", **form}
    return requests.post(platform.url("registry", f"/bases/{base_id}/documents"), data=form,
                         files={"file": (name, data, "application/octet-stream")}, headers=headers)


def test_documents_are_attached_by_upload_and_served_only_as_kept(platform, evaluation_log):
    platform.start("registry")
    actors = Actors(platform)
    base_id = declared_and_certified(platform, evaluation_log, actors)

    sent = upload(platform, base_id, actors.applicant(), LARGER_THAN_A_COMMAND)
    assert sent.status_code == 201, sent.text
    document = sent.json()
    assert (document["media_type"], document["size"], document["attached_to"]) == (
        "application/pdf", len(LARGER_THAN_A_COMMAND), {"on": "declaration"})
    assert document["name"] == "申报书.pdf" and document["attached_by"]["role"] == "applicant"

    refused = upload(platform, base_id, actors.applicant(), samples.EXE, name="申报书.pdf")
    assert refused.status_code == 415 and "file" in refused.json()["error"]["fields"]
    no_kind = upload(platform, base_id, actors.applicant(), samples.PDF, kind="")
    assert no_kind.status_code == 400 and "kind" in no_kind.json()["error"]["fields"]
    elsewhere = upload(platform, base_id, actors.county(region=("太原市", "迎泽区")), samples.PNG)
    assert elsewhere.status_code == 403
    store = Path(platform.config["documents"]["files_dir"]) / "registry"
    assert not (store / sha256(samples.PNG).hexdigest()).exists()  # refused: nothing kept
    as_json = requests.post(platform.url("registry", f"/bases/{base_id}/documents"), json={},
                            headers=actors.applicant())
    assert as_json.status_code == 415

    path = f"/bases/{base_id}/documents/{document['document_id']}"
    got = requests.get(platform.url("registry", path), headers=actors.county())
    assert got.status_code == 200 and got.content == LARGER_THAN_A_COMMAND
    assert got.headers["Digest"] == f"sha-256={document['sha256']}"
    assert got.headers["Content-Disposition"].startswith("attachment;")
    listed = requests.get(platform.url("registry", f"/bases/{base_id}/documents"), headers=actors.department())
    assert [d["document_id"] for d in listed.json()["documents"]] == [document["document_id"]]
    for outsider in (platform.headers("funding_office"), actors.county(region=("太原市", "迎泽区"))):
        assert requests.get(platform.url("registry", path), headers=outsider).status_code == 403

    kept = store / document["sha256"]
    kept.write_bytes(kept.read_bytes()[:-1] + b"X")
    tampered = requests.get(platform.url("registry", path), headers=actors.applicant())
    assert tampered.status_code == 500
    assert tampered.json()["error"]["code"] == "document_unreadable"


def test_an_upload_over_its_own_limit_is_refused_unread(platform, evaluation_log):
    platform.config["documents"]["max_upload_bytes"] = 64 * 1024
    platform.start("registry")
    actors = Actors(platform)
    base_id = declared_and_certified(platform, evaluation_log, actors, certify=False)
    too_big = upload(platform, base_id, actors.applicant(), samples.PDF + b"%" * (200 * 1024))
    assert too_big.status_code == 413
    assert "65536" in too_big.json()["error"]["message"]


def test_a_returned_plan_is_revised_and_approved_anew_and_the_approvers_are_told(platform, evaluation_log):
    platform.start("registry")
    actors = Actors(platform)
    base_id = declared_and_certified(platform, evaluation_log, actors)
    assert put_plan(platform, base_id, actors.applicant()).status_code == 200
    returned = requests.post(platform.url("registry", f"/bases/{base_id}/plan/returns"),
                             json={"version": 1, "comments": "孵化目标偏低，请修改"}, headers=actors.county())
    assert returned.status_code == 201, returned.text
    late = approve(platform, base_id, actors.department(), version=1)
    assert late.status_code == 422 and "version" in late.json()["error"]["fields"]
    assert put_plan(platform, base_id, actors.applicant()).status_code == 200
    assert approve(platform, base_id, actors.county(), version=2).status_code == 201
    base = requests.get(platform.url("registry", f"/bases/{base_id}"), headers=actors.applicant()).json()
    assert [bool(plan["returned"]) for plan in base["plans"]] == [True, False]
    rows = requests.get(platform.url("registry", "/bases"), headers=actors.county()).json()["bases"]
    assert [(row["plan_version"], row["plan_returned"]) for row in rows] == [(2, False)]

    app = platform.app("registry")

    def published():
        events, _ = app.published_after(0, 100)
        return [(e.type, e.payload.get("plan_version")) for e in events if e.type.startswith("Plan")]
    wait_until(lambda: len(published()) == 3)
    assert published() == [("PlanSubmitted", 1), ("PlanReturned", 1), ("PlanSubmitted", 2)]
