"""Funding's upstream facts as the registry and evaluation publish them, and a funding
service under test with both sources played by ``UpstreamLog``s."""

from datetime import datetime, timezone
from uuid import uuid4

import requests

from services.backbone.messaging.topology import inbox_queue_name
from services.contracts import CATALOG, load_event
from services.contracts.vocabulary import CONSTRUCTION_TASKS
from tests.support.broker import UpstreamLog, body_of, queue_messages
from tests.support.platform import wait_until

OFFICE_NAME = "山西省财政厅资金管理处"
NOTIFICATIONS_QUEUE = inbox_queue_name("sc", "notifications", "funding")


def base_declared_payload(base_id, name="山西大学", kind="university") -> dict:
    return {
        "base_id": str(base_id), "name": name, "kind": kind,
        "region": {"city": "太原市", "county": "小店区"},
        "competent_department": "山西省教育厅", "batch_id": str(uuid4()),
        "contacts": [{"name": "王老师", "phone": "0351-7010000", "email": None, "role": "primary"}],
    }


def plan_filed_payload(base_id, kind="university", plan_version=1) -> dict:
    """A filed plan covering the construction tasks of its kind, with both approvals."""
    approved_at = "2017-10-20T15:30:00+08:00"
    return {
        "base_id": str(base_id), "plan_version": plan_version, "kind": kind,
        "tasks": [{"task": task, "measures": "按建设方案推进", "reform_areas": []}
                  for task in CONSTRUCTION_TASKS[kind]],
        "targets": [{"metric": "incubated_enterprises", "value": "60.00", "due": "2018-12-31"}],
        "approvals": [
            {"actor_id": str(uuid4()), "role": "county_government", "name": "小店区人民政府",
             "approved_at": approved_at},
            {"actor_id": str(uuid4()), "role": "competent_department", "name": "山西省教育厅",
             "approved_at": approved_at},
        ],
    }


def base_adjusted_payload(base_id, from_status, to_status, reason="评选认定",
                          basis="selection") -> dict:
    return {"base_id": str(base_id), "from_status": from_status, "to_status": to_status,
            "reason": reason, "basis": basis}


def upstream_event(source: str, event_type: str, payload: dict, position: int):
    """A loaded integration event, as a consumer would receive it."""
    return load_event({
        "event_id": str(uuid4()), "type": event_type, "schema_version": CATALOG[event_type].current_version, "source": source,
        "position": position, "previous_position": position - 1 or None,
        "occurred_at": datetime.now(timezone.utc).isoformat(),
        "actor": {"id": str(uuid4()), "role": "drc", "name": "省发展改革委"},
        "correlation_id": str(uuid4()), "payload": payload,
    })


def allocation_body(base_id, envelope_id, amount="100000.00", tranches=None,
                    purpose="省级双创示范基地建设补助") -> dict:
    return {"base_id": str(base_id), "envelope_id": str(envelope_id), "amount": amount,
            "purpose": purpose,
            "tranches": tranches or [{"amount": amount, "milestone": "建设方案备案"}]}


class FundingUnderTest:
    """The funding service running in the test's platform; the registry and evaluation
    are ``UpstreamLog``s, so a test says exactly what they published."""

    def __init__(self, platform):
        self.platform = platform
        self.registry = UpstreamLog(platform.config, "registry")
        self.evaluation = UpstreamLog(platform.config, "evaluation")
        # One user of the funding office: idempotency keys are each user's own.
        self.office_id = uuid4()
        platform.start("funding")

    @property
    def app(self):
        return self.platform.app("funding")

    def url(self, path: str) -> str:
        return self.platform.url("funding", path)

    def office(self, **extra) -> dict:
        return {**self.platform.headers("funding_office", name=OFFICE_NAME,
                                        actor_id=self.office_id), **extra}

    def caught_up(self) -> None:
        """Waits until funding has applied everything both sources published."""
        wait_until(lambda: self.app.last_position("registry") >= self.registry.position
                   and self.app.last_position("evaluation") >= self.evaluation.position,
                   message="funding to apply the registry's and evaluation's events")

    def eligible_base(self, kind="university", name="山西大学") -> str:
        """A base declared, certified, with a filed plan: eligible for funding."""
        base_id = str(uuid4())
        self.registry.emit("BaseDeclared", base_declared_payload(base_id, name, kind))
        self.registry.emit("PlanFiled", plan_filed_payload(base_id, kind))
        self.evaluation.emit("BaseAdjusted", base_adjusted_payload(base_id, "declared", "certified"))
        self.caught_up()
        return base_id

    def adjust(self, base_id, from_status, to_status, reason="第三方评估不合格") -> None:
        self.evaluation.emit("BaseAdjusted", base_adjusted_payload(
            base_id, from_status, to_status, reason, basis="evaluation"))
        self.caught_up()

    def open_envelope(self, total="1000000.00", **body) -> dict:
        body = {"fiscal_year": 2017, "fund_source": "provincial_budget", "total": total,
                "name": f"2017年预算 {uuid4().hex[:6]}", **body}
        response = requests.post(self.url("/envelopes"), json=body, headers=self.office())
        assert response.status_code == 201, response.text
        return response.json()

    def allocate(self, base_id, envelope_id, amount="100000.00", key=None, **body):
        headers = self.office(**{"Idempotency-Key": key or str(uuid4())})
        return requests.post(self.url("/allocations"), headers=headers,
                             json=allocation_body(base_id, envelope_id, amount, **body))

    def published(self, *event_types) -> dict[str, list[dict]]:
        """Funding's events of these types as they reached the broker (the notifications
        service's queue), by type, read once the relay has published the whole log. The
        broker delivers at least once: a message seen twice (same event id) counts once.
        (Each read is a delivery, and the queue dead-letters a message delivered too
        often, so this reads once rather than polling.)"""
        wait_until(lambda: self.app.relay.lag() == 0, message="the relay to publish the log")
        events = {}
        for message in queue_messages(self.platform.config, NOTIFICATIONS_QUEUE):
            body = body_of(message)
            if body["type"] in event_types:
                events[body["event_id"]] = body
        by_type = {event_type: [] for event_type in event_types}
        for body in sorted(events.values(), key=lambda body: body["position"]):
            by_type[body["type"]].append(body["payload"])
        return by_type

    def summary(self, envelope_id) -> dict:
        response = requests.get(self.url(f"/envelopes/{envelope_id}"),
                                headers=self.platform.headers("department"))
        assert response.status_code == 200, response.text
        return response.json()

    def close(self) -> None:
        self.registry.close()
        self.evaluation.close()
