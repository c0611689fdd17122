"""BaseDeclared changed from v1 (one ``contact``) to v2 (``contacts``). Old events in the
registry's log (written by the 2017 code) and old messages still on the broker are both
read correctly: the log's events are upcast by eventsourcing (class_version), the
messages by the contract's upcaster."""

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from uuid import UUID, uuid4

import requests

from services.backbone.kernel.context import Actor
from services.contracts import load_event
from services.registry.domain import Base
from tests.support.broker import UpstreamLog
from tests.support.platform import wait_until

DRC = Actor(id=uuid4(), role="drc", name="省发展改革委")
V1_CONTACT = {"name": "王老师", "phone": "0351-7010000", "email": None}


def record_as_in_2017(app, name: str, batch_id: UUID) -> UUID:
    """Writes a Declared event into the registry's log in the shape the v1 code stored
    it: a single ``contact``, no class_version (encrypted, as the store is now)."""
    base = Base(name=name, kind="university", region={"city": "太原市", "county": "小店区"},
                competent_department="山西省教育厅", batch_id=batch_id,
                contacts=[{**V1_CONTACT, "role": "primary"}], declared_by=DRC.id, ctx=DRC.context())
    stored = app.mapper.to_stored_event(base.collect_events()[0])
    cipher = app.mapper.cipher
    state = json.loads(cipher.decrypt(stored.state) if cipher else stored.state)
    state.pop("class_version")
    state["contact"] = {k: v for k, v in state.pop("contacts")[0].items() if k != "role"}
    written = json.dumps(state).encode()
    app.recorder.insert_events([replace(stored, state=cipher.encrypt(written) if cipher else written)])
    return base.id


def open_batch_in_evaluation(platform) -> UUID:
    now = datetime.now(timezone.utc)
    batch = platform.app("evaluation").open_batch(
        name="2017年第一批", opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=30),
        quota=12, rubrics=platform.config["evaluation"]["rubrics"], ctx=DRC.context())
    return batch.id


def test_an_old_declaration_in_the_log_is_read_and_published_as_v2(platform):
    platform.start("registry", "evaluation")
    registry, evaluation = platform.app("registry"), platform.app("evaluation")
    batch_id = open_batch_in_evaluation(platform)
    wait_until(lambda: batch_id in registry.repository, message="the batch to reach the registry")
    base_id = record_as_in_2017(registry, "山西大学", batch_id)

    assert registry.get_base(base_id).contacts == [{**V1_CONTACT, "role": "primary"}]
    page = requests.get(platform.url("registry", "/events"), headers=platform.headers("drc")).json()
    published = [load_event(m) for m in page["events"] if m["type"] == "BaseDeclared"]
    assert published[0].schema_version == 2
    assert published[0].payload["contacts"][0]["role"] == "primary"
    wait_until(lambda: evaluation.last_position("registry") >= registry.head(),
               message="evaluation to apply the old declaration published by the relay")
    assert evaluation.repository.get(base_id).name == "山西大学"


def test_an_old_message_waiting_on_the_broker_is_upcast_by_the_consumer(platform):
    platform.start("evaluation")
    registry_log = UpstreamLog(platform.config, "registry")
    base_id = uuid4()
    v1 = registry_log.emit("BaseDeclared", {
        "base_id": str(base_id), "name": "太原理工大学", "kind": "university",
        "region": {"city": "太原市", "county": "万柏林区"}, "competent_department": "山西省教育厅",
        "batch_id": str(open_batch_in_evaluation(platform)), "contact": V1_CONTACT},
        role="applicant", schema_version=1)
    assert load_event(v1).payload["contacts"] == [{**V1_CONTACT, "role": "primary"}]
    evaluation = platform.app("evaluation")
    wait_until(lambda: evaluation.last_position("registry") >= v1["position"])
    assert evaluation.repository.get(base_id).name == "太原理工大学"
    assert evaluation.parked("registry", v1["position"]) is None
    registry_log.close()
