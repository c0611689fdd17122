"""The evaluation service's API over the real broker, with the registry played by an
UpstreamLog: roles (401/403, HTTP and RPC), validation naming the field, an evaluation
round through to a warning, the timer revoking after a missed deadline, and what-if
leaving the log as it was."""

from datetime import datetime, timedelta, timezone
from uuid import uuid4

import pytest
import requests
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy

from services.backbone.kernel.context import stable_id
from services.backbone.messaging.topology import inbox_queue_name
from tests.support.evaluation_http import SHEET, Client, open_batch, scored
from tests.support.broker import body_of, queue_messages
from tests.support.platform import wait_until



def declare(platform, registry_log, batch_id, applicant_id) -> str:
    """A BaseDeclared as the registry would publish it, by this applicant (a version 1
    message, as one still waiting on the broker from before version 2 would be)."""
    base_id = str(stable_id("base", batch_id, "山西大学"))
    envelope = registry_log.envelope("BaseDeclared", {
        "base_id": base_id, "name": "山西大学", "kind": "university",
        "region": {"city": "太原市", "county": "小店区"}, "competent_department": "山西省教育厅",
        "batch_id": batch_id, "contact": {"name": "张三", "phone": "0351-7010000"}}, role="applicant",
        schema_version=1)
    envelope["actor"]["id"] = str(applicant_id)
    registry_log.publish(envelope)
    wait_until(lambda: platform.app("evaluation").last_position("registry") >= registry_log.position,
               message="evaluation to receive the declaration")
    return base_id


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
        assert cluster.evaluation.batches() == {"batches": [], "count": 0, "total": 0, "offset": 0,
                                                "limit": 1000}
        with pytest.raises(RemoteError) as caught:  # the fields travel in the message
            cluster.evaluation.open_round(kind="inspection", name="督促检查", period="2018H3")
        assert caught.value.exc_type == "BadRequest"
        assert '"period"' in caught.value.value


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


def test_an_evaluator_from_no_city_of_shanxi_is_400_naming_the_field(platform):
    platform.start("evaluation")
    client = Client(platform)
    body = {"name": "王教授", "organisation": "专家库", "region": {"city": "大同 ", "county": "平城区"}}
    refused = client("POST", "/evaluators", body, expect=400)
    assert "Not one of Shanxi's cities" in refused["error"]["fields"]["region"]["city"][0]
    body["region"]["city"] = " 大同市"
    assert client("POST", "/evaluators", body, expect=201)["region"]["city"] == "大同市"


def this_half_year() -> str:
    return f"{datetime.now(timezone.utc).year}H1"


def open_round(client) -> str:
    body = {"kind": "third_party", "name": f"{this_half_year()}第三方评估", "period": this_half_year()}
    return client("POST", "/rounds", body, expect=201)["round_id"]


def closed_round(client, base_id, mark: str, body=None) -> tuple[str, dict]:
    """A round in which the base scores ``mark`` on every dimension, closed."""
    round_id = open_round(client)
    scored(client, {"round_id": round_id, "base_id": base_id}, {k: mark for k in SHEET}, name="李研究员")
    return round_id, client("POST", f"/rounds/{round_id}/closing", body or {}, expect=201)["decisions"][0]


def test_a_round_shows_the_metrics_of_its_period_and_warns_an_unqualified_base(platform, registry_log):
    platform.start("evaluation")
    client, applicant_id = Client(platform), uuid4()
    base_id = certified_base(platform, registry_log, applicant_id)
    figures = {"incubated_enterprises": 40, "jobs_created": 900, "financing_raised": "12500000.00",
               "patents": 20, "events_held": 6}
    applicant = platform.headers("applicant", actor_id=applicant_id)
    client("POST", f"/bases/{base_id}/metrics", {"period": this_half_year(), "values": figures},
           headers=applicant, expect=201)
    assert client("GET", f"/bases/{base_id}/metrics", headers=applicant)["metrics"][0]["values"] == figures

    round_id = open_round(client)
    scored(client, {"round_id": round_id, "base_id": base_id}, {k: "50" for k in SHEET}, name="李研究员")
    shown = client("GET", f"/rounds/{round_id}")["bases"][0]
    assert (shown["metrics"], shown["score"], shown["status"]) == (figures, "50.00", "certified")
    warned = client("POST", f"/rounds/{round_id}/closing", {}, expect=201)["decisions"][0]
    assert (warned["to_status"], warned["grade"], warned["policy_version"]) == (
        "warned", "unqualified", "adjustment-2018.1")
    assert warned["rectification_deadline"].endswith("23:59:59+08:00")

    queue = inbox_queue_name("sc", "registry", "evaluation")
    closed = wait_until(lambda: [body_of(m) for m in queue_messages(platform.config, queue)
                                 if body_of(m)["type"] == "RoundClosed"], message="RoundClosed")
    assert closed[0]["payload"]["grades"] == [{"base_id": base_id, "score": "50.00", "grade": "unqualified",
                                               "rubric_version": "university-2017.1"}]


def test_the_timer_revokes_a_warned_base_once_its_deadline_has_passed(platform, registry_log):
    platform.config["evaluation"]["deadline_check_seconds"] = 0.2
    platform.start("evaluation")
    client = Client(platform)
    base_id = certified_base(platform, registry_log, uuid4())
    _, warned = closed_round(client, base_id, "40")

    deadline = datetime.fromisoformat(warned["rectification_deadline"])
    platform.app("evaluation").clock = lambda: deadline + timedelta(seconds=1)
    revoked = wait_until(lambda: (b := client("GET", f"/bases/{base_id}"))["status"] == "revoked" and b,
                         message="the timer to revoke the base")
    assert revoked["decisions"][-1]["basis"] == "deadline"
    assert revoked["decisions"][-1]["decided_by"]["role"] == "service"
    last = client("GET", f"/decisions?base_id={base_id}&limit=1&offset=2")
    assert (last["total"], last["count"], last["decisions"][0]["to_status"]) == (3, 1, "revoked")

    queue = inbox_queue_name("sc", "registry", "evaluation")
    decisions = wait_until(lambda: len(d := [body_of(m)["payload"]["to_status"]
                                             for m in queue_messages(platform.config, queue)
                                             if body_of(m)["type"] == "BaseAdjusted"]) == 3 and d,
                           message="the three decisions on the broker")
    assert decisions == ["certified", "warned", "revoked"]


def test_what_if_over_http_answers_without_writing_to_the_log(platform, registry_log):
    platform.start("evaluation")
    client = Client(platform)
    base_id = certified_base(platform, registry_log, uuid4())
    round_id, retained = closed_round(client, base_id, "65", {"policy_version": "adjustment-2018.1"})
    assert (retained["grade"], retained["to_status"]) == ("qualified", "retained")

    head = client("GET", "/events?after=0&limit=1")["head"]
    answer = client("GET", f"/rounds/{round_id}/what-if?policy_version=adjustment-2019.1",
                    headers=platform.headers("department"))
    assert (answer["applied_policy_version"], answer["policy_version"]) == (
        "adjustment-2018.1", "adjustment-2019.1")
    [row] = answer["decisions"]
    assert (row["actual"]["to_status"], row["proposed"]["to_status"], row["changed"]) == (
        "retained", "warned", True)  # 2019.1: 合格 is warned, with 90 days to rectify
    closed_at = datetime.fromisoformat(client("GET", f"/rounds/{round_id}")["closed_at"])
    deadline = datetime.fromisoformat(row["proposed"]["rectification_deadline"])
    assert deadline.date() == (closed_at.astimezone(deadline.tzinfo) + timedelta(days=90)).date()
    same = client("GET", f"/rounds/{round_id}/what-if?policy_version=adjustment-2018.1")
    assert [(d["proposed"]["to_status"], d["changed"]) for d in same["decisions"]] == [
        ("retained", False)]
    client("GET", f"/rounds/{round_id}/what-if?policy_version=adjustment-1999.1", expect=422)
    assert client("GET", "/events?after=0&limit=1")["head"] == head
    assert platform.app("evaluation").head() == head


def test_a_batch_window_given_as_days_opens_and_closes_with_beijings_days(platform):
    platform.start("evaluation")
    client = Client(platform)
    batch = client("POST", "/batches", {"name": "2026年第一批", "quota": 10, "opens_at": "2026-12-01",
                                        "closes_at": "2026-12-01"}, expect=201)
    assert batch["opens_at"] == "2026-12-01T00:00:00+08:00"
    assert batch["closes_at"] == "2026-12-01T23:59:59.999999+08:00"  # the whole closing day
    refused = client("POST", "/batches", {"name": "2026年第二批", "quota": 10, "opens_at": "2026-12-01",
                                          "closes_at": "2026-12-01T00:00:00"}, expect=400)
    assert "with its offset" in refused["error"]["fields"]["closes_at"][0]


def test_evaluators_are_searched_by_name_or_organisation_sorted_and_paged(platform):
    platform.start("evaluation")
    client = Client(platform)
    for name, organisation in (("王教授", "山西大学"), ("李研究员", "ＳＸ创新研究院"), ("张工", "太原理工大学")):
        client("POST", "/evaluators", {"name": name, "organisation": organisation,
                                       "region": {"city": "大同市", "county": "平城区"}}, expect=201)

    def names(**query):
        response = requests.get(platform.url("evaluation", "/evaluators"), params=query,
                                headers=client.drc)
        assert response.status_code == 200, response.text
        return [row["name"] for row in response.json()["evaluators"]], response.json()

    assert names(q="sx创新")[0] == ["李研究员"]  # the organisation, compared by key
    assert names(q="大学")[0] == ["王教授", "张工"]
    assert names(q="王")[0] == ["王教授"]
    assert names(sort="-registered_at")[0] == ["张工", "李研究员", "王教授"]
    rows, page = names(sort="organisation", limit=1, offset=2)  # SX… < 太原… < 山西… (code points)
    assert rows == ["王教授"] and (page["count"], page["total"], page["limit"]) == (1, 3, 1)
    assert client("GET", "/evaluators?sort=region", expect=400)["error"]["fields"]["sort"]


def test_rounds_and_batches_are_paged_and_rounds_filtered_by_kind(platform, registry_log):
    platform.start("evaluation")
    client = Client(platform)
    certified_base(platform, registry_log, uuid4())
    client("POST", "/rounds", {"kind": "inspection", "name": "督促检查", "period": "2018H1"}, expect=201)
    client("POST", "/rounds", {"kind": "third_party", "name": "第三方评估", "period": "2018H1"}, expect=201)
    rounds = client("GET", "/rounds?kind=third_party&limit=5")
    assert [r["name"] for r in rounds["rounds"]] == ["第三方评估"] and rounds["total"] == 1
    assert client("GET", "/batches?limit=1&sort=-opens_at")["limit"] == 1
