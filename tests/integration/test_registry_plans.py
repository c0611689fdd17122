"""Construction plans over HTTP: drafted by the base, approved by its county government
AND its competent department, filed only when both approved and the base is certified."""

from uuid import UUID

import requests

from services.backbone.messaging.topology import inbox_queue_name
from services.contracts import load_event
from tests.integration.conftest import open_batch
from tests.support.broker import body_of, queue_messages
from tests.support.fixtures import declaration
from tests.support.platform import wait_until

TASKS = [
    {"task": "talent_cultivation", "measures": "开设创新创业课程，建立创业导师库"},
    {"task": "technology_transfer", "measures": "完善成果转化收益分配", "reform_areas": ["technology_transfer"]},
    {"task": "student_entrepreneurship", "measures": "建设大学生创业园"},
    {"task": "support_services", "measures": "建立知识产权运营平台"},
]
TARGETS = [{"metric": "incubated_enterprises", "value": "50", "due": "2018-06-30"}]


class Actors:
    def __init__(self, platform, applicant_id=None):
        self.platform = platform
        from uuid import uuid4

        self.applicant_id = applicant_id or uuid4()

    def applicant(self):
        return self.platform.applicant("山西大学", actor_id=self.applicant_id)

    def county(self, region=("太原市", "小店区")):
        return self.platform.headers("county_government", name="小店区人民政府", region=region)

    def department(self, org="山西省教育厅"):
        return self.platform.headers("competent_department", name=org, org=org)


def declared_and_certified(platform, evaluation_log, actors, certify=True) -> str:
    batch_id = open_batch(platform, evaluation_log)
    response = requests.post(platform.url("registry", "/bases"), json=declaration(batch_id),
                             headers=actors.applicant())
    assert response.status_code == 201, response.text
    base_id = response.json()["base_id"]
    if certify:
        evaluation_log.emit("BaseAdjusted", {"base_id": base_id, "from_status": "declared",
                                             "to_status": "certified", "reason": "评选认定",
                                             "basis": "selection"})
        wait_until(lambda: platform.app("registry").get_base(UUID(base_id)).status == "certified")
    return base_id


def put_plan(platform, base_id, headers, tasks=TASKS):
    return requests.put(platform.url("registry", f"/bases/{base_id}/plan"),
                        json={"tasks": tasks, "targets": TARGETS}, headers=headers)


def approve(platform, base_id, headers, version=1):
    return requests.post(platform.url("registry", f"/bases/{base_id}/plan/approvals"),
                         json={"version": version}, headers=headers)


def file_plan(platform, base_id, headers):
    return requests.post(platform.url("registry", f"/bases/{base_id}/plan/filing"), headers=headers)


def test_a_plan_approved_by_county_and_department_is_filed_and_published(platform, evaluation_log):
    platform.start("registry")
    actors = Actors(platform)
    base_id = declared_and_certified(platform, evaluation_log, actors)

    assert put_plan(platform, base_id, actors.applicant()).status_code == 200
    assert approve(platform, base_id, actors.county()).status_code == 201
    early = file_plan(platform, base_id, actors.applicant())
    assert early.status_code == 422
    assert early.json()["error"]["fields"] == {"approvals": ["competent_department"]}
    assert approve(platform, base_id, actors.department()).status_code == 201
    filed = file_plan(platform, base_id, actors.applicant())
    assert filed.status_code == 201, filed.text
    assert filed.json()["filed_version"] == 1
    approvals = {a["role"]: a["name"] for a in filed.json()["plan"]["approvals"]}
    assert approvals == {"county_government": "小店区人民政府", "competent_department": "山西省教育厅"}

    queue = inbox_queue_name("sc", "funding", "registry")
    plan_filed = wait_until(lambda: [m for m in queue_messages(platform.config, queue)
                                     if body_of(m)["type"] == "PlanFiled"])
    event = load_event(body_of(plan_filed[0]))
    assert str(event.payload["base_id"]) == base_id
    assert {a["role"] for a in event.payload["approvals"]} == {"county_government", "competent_department"}


def test_a_revised_plan_needs_both_approvals_again(platform, evaluation_log):
    platform.start("registry")
    actors = Actors(platform)
    base_id = declared_and_certified(platform, evaluation_log, actors)
    put_plan(platform, base_id, actors.applicant())
    approve(platform, base_id, actors.county())
    approve(platform, base_id, actors.department())

    revised = put_plan(platform, base_id, actors.applicant())
    assert revised.json()["plan"]["version"] == 2
    assert revised.json()["plan"]["approvals"] == []
    stale = approve(platform, base_id, actors.county(), version=1)
    assert stale.status_code == 409
    assert file_plan(platform, base_id, actors.applicant()).status_code == 422
    assert approve(platform, base_id, actors.county(), version=2).status_code == 201
    assert approve(platform, base_id, actors.department(), version=2).status_code == 201
    assert file_plan(platform, base_id, actors.applicant()).json()["filed_version"] == 2


def test_an_uncertified_base_cannot_file_its_plan(platform, evaluation_log):
    platform.start("registry")
    actors = Actors(platform)
    base_id = declared_and_certified(platform, evaluation_log, actors, certify=False)
    put_plan(platform, base_id, actors.applicant())
    approve(platform, base_id, actors.county())
    approve(platform, base_id, actors.department())
    refused = file_plan(platform, base_id, actors.applicant())
    assert refused.status_code == 422
    assert "certified" in refused.json()["error"]["message"]


def test_approvals_are_scoped_to_the_bases_county_and_department(platform, evaluation_log):
    platform.start("registry")
    actors = Actors(platform)
    base_id = declared_and_certified(platform, evaluation_log, actors)
    put_plan(platform, base_id, actors.applicant())

    other_county = approve(platform, base_id, actors.county(region=("吕梁市", "孝义市")))
    assert other_county.status_code == 403
    other_department = approve(platform, base_id, actors.department(org="山西省科学技术厅"))
    assert other_department.status_code == 403
    stranger = put_plan(platform, base_id, platform.headers("applicant", name="另一单位"))
    assert stranger.status_code == 403
    evaluator = approve(platform, base_id, platform.headers("evaluator"))
    assert evaluator.status_code == 403
    assert evaluator.json()["error"]["code"] == "forbidden"


def test_a_plan_must_cover_the_tasks_of_its_kind(platform, evaluation_log):
    platform.start("registry")
    actors = Actors(platform)
    base_id = declared_and_certified(platform, evaluation_log, actors)
    regional_tasks = [{"task": "culture", "measures": "双创活动周"}]
    response = put_plan(platform, base_id, actors.applicant(), tasks=regional_tasks)
    assert response.status_code == 422
    messages = " ".join(response.json()["error"]["fields"]["tasks"])
    assert "culture" in messages and "talent_cultivation" in messages


def test_history_records_who_did_what_and_when(platform, evaluation_log):
    platform.start("registry")
    actors = Actors(platform)
    base_id = declared_and_certified(platform, evaluation_log, actors)
    put_plan(platform, base_id, actors.applicant())
    approve(platform, base_id, actors.county())

    history = requests.get(platform.url("registry", f"/bases/{base_id}/history"),
                           headers=platform.headers("drc")).json()["history"]
    assert [h["event"] for h in history] == ["Declared", "StatusRecorded", "PlanDrafted", "PlanSubmitted",
                                             "PlanApproved"]
    assert history[0]["actor"]["id"] == str(actors.applicant_id)
    assert history[1]["actor"]["role"] == "drc"  # recorded as done by the deciding actor
    assert history[4]["actor"]["role"] == "county_government"
    assert all(h["at"].endswith("+00:00") for h in history)
