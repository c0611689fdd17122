"""The evaluation service's API over the real broker, with the registry played by an
UpstreamLog: roles (401/403, HTTP and RPC), validation naming the field, an evaluation
round through to a warning, the timer revoking after a missed deadline, and what-if
leaving the log as it was."""

from datetime import datetime, timedelta, timezone
from uuid import UUID, uuid4

import pytest
import requests
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy

from services.backbone.context import stable_id
from services.backbone.topology import inbox_queue_name
from tests.support.broker import UpstreamLog, body_of, queue_messages
from tests.support.platform import wait_until

SHEET = {"talent_cultivation": "80", "technology_transfer": "80",
         "student_entrepreneurship": "80", "support_services": "80"}


@pytest.fixture
def registry_log(platform):
    """The registry's events, published by the test (the real one runs elsewhere)."""
    log = UpstreamLog(platform.config, "registry")
    yield log
    log.close()


class Client:
    """The evaluation service's HTTP API, as the DRC unless told otherwise."""

    def __init__(self, platform):
        self.platform = platform
        self.drc = platform.headers("drc", name="省发展改革委")

    def __call__(self, method, path, body=None, headers=None, expect=200):
        response = requests.request(method, self.platform.url("evaluation", path), json=body,
                                    headers=self.drc if headers is None else headers)
        assert response.status_code == expect, response.text
        return response.json()


def open_batch(client) -> str:
    now = datetime.now(timezone.utc)
    return client("POST", "/batches", {"name": "2017年第一批", "quota": 12,
                                       "opens_at": (now - timedelta(days=1)).isoformat(),
                                       "closes_at": (now + timedelta(days=30)).isoformat()},
                  expect=201)["batch_id"]


def declare(platform, registry_log, batch_id, applicant_id) -> str:
    """A BaseDeclared as the registry would publish it, by this applicant."""
    base_id = str(stable_id("base", batch_id, "山西大学"))
    envelope = registry_log.envelope("BaseDeclared", {
        "base_id": base_id, "name": "山西大学", "kind": "university",
        "region": {"city": "太原市", "county": "小店区"}, "competent_department": "山西省教育厅",
        "batch_id": batch_id, "contact": {"name": "张三", "phone": "0351-7010000"}}, role="applicant")
    envelope["actor"]["id"] = str(applicant_id)
    registry_log.publish(envelope)
    wait_until(lambda: platform.app("evaluation").last_position("registry") >= registry_log.position,
               message="evaluation to receive the declaration")
    return base_id


def scored(client, occasion: dict, sheet=SHEET, name="王教授") -> None:
    evaluator = client("POST", "/evaluators", {"name": name, "organisation": "专家库",
                                               "region": {"city": "大同市", "county": "平城区"}},
                       expect=201)["evaluator_id"]
    client("POST", "/assignments", {**occasion, "evaluator_id": evaluator}, expect=201)
    expert = client.platform.headers("evaluator", name=name, actor_id=UUID(evaluator))
    client("POST", "/scores", {**occasion, "scores": sheet}, headers=expert, expect=201)


def certified_base(platform, registry_log, applicant_id) -> str:
    client = Client(platform)
    batch_id = open_batch(client)
    base_id = declare(platform, registry_log, batch_id, applicant_id)
    scored(client, {"batch_id": batch_id, "base_id": base_id})
    client("POST", f"/batches/{batch_id}/closing", expect=201)
    client("POST", f"/batches/{batch_id}/certification", {}, expect=201)
    return base_id


def test_no_token_is_401_and_a_wrong_role_is_403_on_every_kind_of_route(platform):
    platform.start("evaluation")
    client = Client(platform)
    base = f"/bases/{uuid4()}"
    assert client("POST", "/batches", {}, headers={}, expect=401)["error"]["code"] == "unauthenticated"
    client("GET", "/rounds", headers={"Authorization": "Bearer forged"}, expect=401)
    for role, method, path in [("evaluator", "POST", "/batches"), ("applicant", "POST", "/rounds"),
                               ("department", "POST", "/assignments"), ("drc", "POST", "/scores"),
                               ("evaluator", "POST", f"{base}/metrics"),
                               ("applicant", "GET", "/bases"), ("evaluator", "GET", "/batches"),
                               ("county_government", "GET", base),
                               ("funding_office", "POST", "/rectifications/overdue")]:
        refused = client(method, path, {}, headers=platform.headers(role), expect=403)
        assert refused["error"]["code"] == "forbidden", (role, method, path)
    client("GET", "/rounds", headers=platform.headers("ops"), expect=200)
    client("GET", "/batches", headers=platform.headers("department"), expect=200)


def rpc(platform, token: str | None):
    data = {"authorization": f"Bearer {token}"} if token else {}
    return ClusterRpcProxy(platform.config_for_clients(), context_data=data, timeout=10)


def test_rpc_checks_the_token_and_role_too(platform):
    platform.start("evaluation")
    with rpc(platform, platform.token("evaluator")) as cluster:
        with pytest.raises(RemoteError) as caught:
            cluster.evaluation.open_round(kind="inspection", name="督促检查", period="2018H1")
        assert caught.value.exc_type == "Forbidden"
    with rpc(platform, None) as cluster:
        with pytest.raises(RemoteError) as caught:
            cluster.evaluation.batches()
        assert caught.value.exc_type == "Unauthenticated"
    with rpc(platform, platform.token("drc")) as cluster:
        assert cluster.evaluation.batches() == {"batches": []}


def test_float_scores_and_unknown_fields_are_400_naming_the_field(platform, registry_log):
    platform.start("evaluation")
    client = Client(platform)
    batch_id = open_batch(client)
    base_id = declare(platform, registry_log, batch_id, uuid4())
    body = {"batch_id": batch_id, "base_id": base_id, "colour": "red",
            "scores": {**SHEET, "support_services": 80.5}}
    refused = client("POST", "/scores", body, headers=platform.headers("evaluator"), expect=400)
    fields = refused["error"]["fields"]
    assert "floats are not accepted" in str(fields["scores"]["support_services"])
    assert fields["colour"] == ["Unknown field."]
    both = client("POST", "/assignments", {"base_id": base_id, "evaluator_id": str(uuid4())}, expect=400)
    assert "batch_id or round_id" in both["error"]["fields"]["batch_id"][0]


def test_a_round_warns_an_unqualified_base_and_the_timer_revokes_it_after_the_deadline(
        platform, registry_log):
    platform.config["evaluation"]["deadline_check_seconds"] = 0.2
    platform.start("evaluation")
    client, applicant_id = Client(platform), uuid4()
    base_id = certified_base(platform, registry_log, applicant_id)
    applicant = platform.headers("applicant", name="山西大学", actor_id=applicant_id)
    period = f"{datetime.now(timezone.utc).year}H1"
    figures = {"incubated_enterprises": 40, "jobs_created": 900, "financing_raised": "12500000.00",
               "patents": 20, "events_held": 6}
    client("POST", f"/bases/{base_id}/metrics", {"period": period, "values": figures},
           headers=applicant, expect=201)

    round_id = client("POST", "/rounds", {"kind": "third_party", "name": "第三方评估", "period": period},
                      expect=201)["round_id"]
    scored(client, {"round_id": round_id, "base_id": base_id}, {k: "50" for k in SHEET}, name="李研究员")
    shown = client("GET", f"/rounds/{round_id}")["bases"][0]
    assert shown["metrics"]["financing_raised"] == "12500000.00" and shown["score"] == "50.00"
    warned = client("POST", f"/rounds/{round_id}/closing", {}, expect=201)["decisions"][0]
    assert (warned["to_status"], warned["grade"], warned["policy_version"]) == (
        "warned", "unqualified", "adjustment-2018.1")

    deadline = datetime.fromisoformat(warned["rectification_deadline"])
    platform.app("evaluation").clock = lambda: deadline + timedelta(seconds=1)
    revoked = wait_until(lambda: (b := client("GET", f"/bases/{base_id}", headers=applicant))[
        "status"] == "revoked" and b, message="the timer to revoke the base")
    assert revoked["decisions"][-1]["basis"] == "deadline"
    assert revoked["decisions"][-1]["decided_by"]["role"] == "service"

    queue = inbox_queue_name("sc", "registry", "evaluation")

    def published():
        return [body_of(m) for m in queue_messages(platform.config, queue)]

    messages = wait_until(lambda: len(m := published()) == 6 and m,
                          message="batch, decisions and the round's grades on the broker")
    assert [(m["type"], m["payload"].get("to_status")) for m in messages] == [
        ("BatchOpened", None), ("BatchClosed", None), ("BaseAdjusted", "certified"),
        ("RoundClosed", None), ("BaseAdjusted", "warned"), ("BaseAdjusted", "revoked")]
    assert messages[3]["payload"]["grades"][0]["grade"] == "unqualified"


def test_what_if_over_http_answers_without_writing_to_the_log(platform, registry_log):
    platform.start("evaluation")
    client = Client(platform)
    base_id = certified_base(platform, registry_log, uuid4())
    period = f"{datetime.now(timezone.utc).year}H1"
    round_id = client("POST", "/rounds", {"kind": "inspection", "name": "督促检查", "period": period},
                      expect=201)["round_id"]
    scored(client, {"round_id": round_id, "base_id": base_id}, {k: "95" for k in SHEET}, name="赵专家")
    client("POST", f"/rounds/{round_id}/closing", {"policy_version": "adjustment-2018.1"}, expect=201)

    head = client("GET", "/events?after=0&limit=1")["head"]
    answer = client("GET", f"/rounds/{round_id}/what-if?policy_version=adjustment-2018.1",
                    headers=platform.headers("department"))
    assert [(d["proposed"]["to_status"], d["changed"]) for d in answer["decisions"]] == [
        ("recommended_national", False)]
    client("GET", f"/rounds/{round_id}/what-if?policy_version=adjustment-1999.1", expect=422)
    assert client("GET", "/events?after=0&limit=1")["head"] == head
    assert platform.app("evaluation").head() == head
