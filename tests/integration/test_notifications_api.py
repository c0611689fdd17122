"""The notifications HTTP API: who may subscribe and see what, validation that names
the field, the secret shown once, the inbox, and one delivery per (subscription, event)
however often the broker delivers the event."""

from uuid import uuid4

import pytest
import requests

from services.notifications.domain import Delivery
from tests.support.upstream import XIAOYI, adjusted, base_declared
from tests.support.broker import UpstreamLog
from tests.support.platform import wait_until

KEJITING = {"name": "山西省科学技术厅", "org": "山西省科学技术厅"}


class Client:
    """HTTP calls to the notifications service as one actor."""

    def __init__(self, platform, role, **scope):
        self.platform = platform
        self.headers = platform.headers(role, actor_id=scope.pop("actor_id", None) or uuid4(), **scope)

    def call(self, method, path, **kwargs):
        return requests.request(method, self.platform.url("notifications", path),
                                headers=self.headers, **kwargs)

    def subscribe(self, body):
        response = self.call("POST", "/subscriptions", json=body)
        assert response.status_code == 201, response.text
        return response.json()


INBOX = {"channel": {"kind": "inbox"}}


def test_no_token_is_401_a_wrong_role_403_and_bad_input_400_naming_the_field(platform):
    platform.start("notifications")
    url = platform.url("notifications", "/subscriptions")
    assert requests.post(url, json=INBOX).status_code == 401
    assert requests.get(url).status_code == 401
    as_service = requests.post(url, json=INBOX, headers=platform.headers("service"))
    assert as_service.status_code == 403 and as_service.json()["error"]["code"] == "forbidden"

    bad = requests.post(url, headers=platform.headers("department"), json={
        "channel": {"kind": "webhook", "address": "x@example.cn"},
        "filter": {"event_types": ["BaseDeclard"], "kinds": ["hospital"], "regions": [{"county": "孝义市"}]},
        "colour": "red"})
    assert bad.status_code == 400
    fields = bad.json()["error"]["fields"]
    assert fields["channel"]["url"] == ["Missing data for required field."]
    assert "address" in fields["channel"]
    assert "event_types" in fields["filter"] and "kinds" in fields["filter"]
    assert "city" in str(fields["filter"]["regions"])
    assert fields["colour"] == ["Unknown field."]
    assert requests.get(url, headers=platform.headers("drc")).json()["count"] == 0


def test_a_webhook_secret_is_returned_on_creation_only(platform):
    platform.start("notifications")
    kejiting = Client(platform, "department", **KEJITING)
    created = kejiting.subscribe({"channel": {"kind": "webhook", "url": "https://kjt.example.cn/hooks"}})
    secret = created["channel"]["secret"]
    assert len(secret) >= 32
    path = f"/subscriptions/{created['subscription_id']}"
    for response in (kejiting.call("GET", path), kejiting.call("GET", "/subscriptions"),
                     kejiting.call("PATCH", path, json={"label": "科技厅 v2"}),
                     Client(platform, "ops").call("GET", "/subscriptions")):
        assert response.status_code == 200, response.text
        assert secret not in response.text and "secret" not in response.text


def test_owners_see_and_change_their_own_subscriptions_the_drc_and_ops_see_all(platform):
    platform.start("notifications")
    kejiting = Client(platform, "department", **KEJITING)
    county = Client(platform, "county_government", name="孝义市人民政府", region=("吕梁市", "孝义市"))
    own = kejiting.subscribe(INBOX)
    theirs = county.subscribe({**INBOX, "filter": {"regions": [{"city": "吕梁市", "county": "孝义市"}]}})

    assert [s["subscription_id"] for s in kejiting.call("GET", "/subscriptions").json()["subscriptions"]] == [own["subscription_id"]]
    assert Client(platform, "drc").call("GET", "/subscriptions").json()["count"] == 2
    drc = Client(platform, "drc")
    newest = drc.call("GET", "/subscriptions", params={"sort": "-created_at", "limit": 1}).json()
    assert [s["subscription_id"] for s in newest["subscriptions"]] == [theirs["subscription_id"]]
    assert (newest["count"], newest["total"], newest["limit"]) == (1, 2, 1)
    assert drc.call("GET", "/subscriptions", params={"sort": "channel"}).status_code == 400
    other = f"/subscriptions/{theirs['subscription_id']}"
    assert kejiting.call("GET", other).status_code == 403
    assert kejiting.call("PATCH", other, json={"label": "mine"}).status_code == 403
    assert kejiting.call("DELETE", other).status_code == 403

    assert county.call("PATCH", other, json={}).status_code == 400
    changed = county.call("PATCH", other, json={"filter": {"kinds": ["regional"]}})
    assert changed.status_code == 200 and changed.json()["filter"]["kinds"] == ["regional"]
    assert changed.json()["filter"]["regions"] == []
    cancelled = Client(platform, "ops").call("DELETE", other)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert county.call("DELETE", other).status_code == 409


def test_an_applicant_may_subscribe_only_to_its_own_base(platform):
    platform.start("notifications")
    registry = UpstreamLog(platform.config, "registry")
    own = registry.emit("BaseDeclared", base_declared(), role="applicant")
    other = registry.emit("BaseDeclared", base_declared(base=XIAOYI), role="applicant")
    wait_until(lambda: platform.app("notifications").last_position("registry") >= other["position"])
    registry.close()

    applicant = Client(platform, "applicant", name="山西大学", base_ids=[own["payload"]["base_id"]])
    refused = applicant.call("POST", "/subscriptions", json={**INBOX, "filter": {"base_ids": [other["payload"]["base_id"]]}})
    assert refused.status_code == 403 and "base_ids" in str(refused.json()["error"]["fields"])
    assert applicant.call("POST", "/subscriptions", json=INBOX).status_code == 403
    every_base = applicant.call("POST", "/subscriptions", json={**INBOX, "filter": {
        "base_ids": [own["payload"]["base_id"]], "event_types": ["RoundClosed"]}})
    assert every_base.status_code == 422, every_base.text
    assert list(every_base.json()["error"]["fields"]) == ["filter.event_types"]
    applicant.subscribe({**INBOX, "filter": {"base_ids": [own["payload"]["base_id"]]}})


def test_the_inbox_lists_counts_unread_and_marks_read_for_its_owner_only(platform):
    platform.start("notifications")
    kejiting = Client(platform, "department", **KEJITING)
    subscription = kejiting.subscribe({**INBOX, "filter": {"kinds": ["university"]}})
    registry, evaluation = UpstreamLog(platform.config, "registry"), UpstreamLog(platform.config, "evaluation")
    declared = registry.emit("BaseDeclared", base_declared(), role="applicant")
    registry.emit("BaseDeclared", base_declared(base=XIAOYI), role="applicant")
    evaluation.emit("BaseAdjusted", adjusted(declared["payload"]["base_id"]))
    wait_until(lambda: kejiting.call("GET", "/inbox/unread-count").json()["unread"] == 2)

    inbox = kejiting.call("GET", "/inbox").json()
    assert [item["title"] for item in inbox["items"]] == ["认定", "申报"]
    assert inbox["items"][0]["message"].startswith("山西大学 已被认定为省级双创示范基地")
    newest = inbox["items"][0]["delivery_id"]
    older = kejiting.call("GET", "/inbox?limit=1&offset=1").json()
    assert (older["total"], older["count"]) == (2, 1)
    assert [item["title"] for item in older["items"]] == ["申报"]
    refused = kejiting.call("GET", "/inbox?offset=-1")
    assert refused.status_code == 400 and "offset" in refused.json()["error"]["fields"]
    stranger = Client(platform, "department", name="山西省教育厅")
    assert stranger.call("POST", f"/inbox/{newest}/read").status_code == 403
    assert stranger.call("GET", "/inbox").json()["count"] == 0
    read = kejiting.call("POST", f"/inbox/{newest}/read")
    assert read.status_code == 200 and read.json()["read_at"]
    assert kejiting.call("POST", f"/inbox/{newest}/read").json()["read_at"] == read.json()["read_at"]
    assert kejiting.call("GET", "/inbox/unread-count").json() == {"unread": 1}
    unread = kejiting.call("GET", "/inbox?unread=true").json()["items"]
    assert [item["title"] for item in unread] == ["申报"]
    of_subscription = f"/subscriptions/{subscription['subscription_id']}/deliveries?status=delivered"
    assert kejiting.call("GET", of_subscription).json()["count"] == 2
    assert stranger.call("GET", of_subscription).status_code == 403
    registry.close()
    evaluation.close()


def test_an_event_delivered_again_and_again_makes_one_delivery_per_subscription(pg_platform):
    platform = pg_platform.start("notifications")
    inbox = Client(platform, "department", **KEJITING).subscribe(INBOX)
    everything = Client(platform, "drc").subscribe(INBOX)
    registry, evaluation = UpstreamLog(platform.config, "registry"), UpstreamLog(platform.config, "evaluation")
    declared = registry.emit("BaseDeclared", base_declared(), role="applicant")
    certified = evaluation.emit("BaseAdjusted", adjusted(declared["payload"]["base_id"]))
    for _ in range(3):
        evaluation.publish(certified)
        registry.publish(declared)
    # One marker behind the duplicates on each queue: once both are applied, so is
    # every duplicate before them (each source's queue is consumed on its own).
    marker = evaluation.emit("BatchClosed", {"batch_id": str(uuid4())})
    registry_marker = registry.emit("BaseDeclared", base_declared(base=XIAOYI), role="applicant")
    app = platform.app("notifications")
    wait_until(lambda: app.last_position("evaluation") >= marker["position"], message="the marker")
    wait_until(lambda: app.last_position("registry") >= registry_marker["position"],
               message="the registry's marker")

    rows = app.list_deliveries(_overseer())
    per_pair = sorted((r["subscription_id"], r["event_id"]) for r in rows)
    assert len(per_pair) == len(set(per_pair)) == 8, "two subscriptions, four events, once each"
    for row in rows:
        assert row["delivery_id"] == Delivery.create_id(row["subscription_id"], row["event_id"])
    assert {str(r["subscription_id"]) for r in rows} == {inbox["subscription_id"], everything["subscription_id"]}
    registry.close()
    evaluation.close()


def _overseer():
    from services.backbone.kernel.context import Actor

    return Actor(id=uuid4(), role="ops")


def test_health_reports_the_delivery_sender(platform):
    platform.start("notifications")
    health = wait_until(lambda: (h := requests.get(platform.url("notifications", "/health")).json())
                        ["checks"]["sender"] == "running" and h, message="the sender to run")
    assert health["status"] == "ok" and health["service"] == "notifications"


def test_public_health_says_only_that_the_sender_fails_and_ops_status_says_why(platform):
    from psycopg import OperationalError

    platform.start("notifications")
    app = platform.app("notifications")
    reason = ('connection to server at "db.internal" (10.0.0.5), port 5432 failed: FATAL: '
              'password authentication failed for user "shuangchuang"')

    def unreachable(*args, **kwargs):
        raise OperationalError(reason)

    app.attempts.due = unreachable  # the sender's every turn now fails on the store
    health_url = platform.url("notifications", "/health")
    health = wait_until(lambda: (r := requests.get(health_url)).json()["checks"]["sender"] == "failing" and r,
                        message="the sender to fail")
    assert "db.internal" not in health.text and "shuangchuang" not in health.text
    ready = requests.get(platform.url("notifications", "/ready"))
    assert "db.internal" not in ready.text

    status_url = platform.url("notifications", "/ops/status")
    assert requests.get(status_url).status_code == 401
    status = requests.get(status_url, headers=platform.headers("ops")).json()
    assert status["sender"]["running"] and "db.internal" in status["sender"]["last_error"]

    app.head = unreachable  # and the store itself
    try:
        health, ready = requests.get(health_url), requests.get(platform.url("notifications", "/ready"))
    finally:
        del app.head
    assert health.status_code == ready.status_code == 503
    assert health.json()["checks"]["store"] == ready.json()["checks"]["store"] == "failing"
    assert "db.internal" not in health.text + ready.text


def test_the_same_operations_answer_over_rpc_with_the_token_in_the_context(platform):
    from nameko.exceptions import RemoteError
    from nameko.standalone.rpc import ClusterRpcProxy

    platform.start("notifications")

    def rpc(role, **scope):
        context = {"authorization": f"Bearer {platform.token(role, **scope)}"}
        return ClusterRpcProxy(platform.config_for_clients(), context_data=context, timeout=10)

    with rpc("department", **KEJITING) as cluster:
        created = cluster.notifications.subscribe(channel={"kind": "inbox"}, label="科技厅收件箱")
        assert created["label"] == "科技厅收件箱"
        assert cluster.notifications.unread_count() == {"unread": 0}
    with rpc("department", **KEJITING) as cluster, pytest.raises(RemoteError) as refused:
        cluster.notifications.resend_delivery(str(uuid4()))
    assert refused.value.exc_type == "Forbidden"
