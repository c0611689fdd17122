"""What a consumer receives from upstream in the tests: the payloads of registry's,
evaluation's and funding's events, and ``Upstream``, which numbers events of one source
as its log would and loads them as a consumer does."""

from datetime import datetime, timezone
from uuid import uuid4

from services.backbone.kernel.context import stable_id
from services.contracts import CATALOG, load_event

SXU = {"name": "山西大学", "kind": "university", "city": "太原市", "county": "小店区",
       "department": "山西省教育厅"}
XIAOYI = {"name": "孝义市", "kind": "regional", "city": "吕梁市", "county": "孝义市",
          "department": "孝义市人民政府"}


def base_declared(base_id=None, batch_id=None, base=SXU) -> dict:
    return {
        "base_id": str(base_id or uuid4()), "name": base["name"], "kind": base["kind"],
        "region": {"city": base["city"], "county": base["county"]},
        "competent_department": base["department"], "batch_id": str(batch_id or uuid4()),
        "contacts": [{"name": "王老师", "phone": "0351-7010000", "email": "scjd@example.cn", "role": "primary"}],
    }


def adjusted(base_id, to_status="certified", from_status="declared", reason="评选认定",
             **extra) -> dict:
    return {"base_id": str(base_id), "from_status": from_status, "to_status": to_status,
            "reason": reason, "basis": "selection", **extra}


def funding_allocated(base_id, amount="3000000.00") -> dict:
    return {
        "allocation_id": str(uuid4()), "base_id": str(base_id), "envelope_id": str(uuid4()),
        "fiscal_year": 2017, "fund_source": "provincial_budget", "amount": amount,
        "purpose": "省级双创示范基地建设补助",
        "tranches": [{"tranche_id": str(uuid4()), "amount": amount, "milestone": "建设方案备案"}],
    }


def batch_opened(batch_id=None, name="2017年第一批") -> dict:
    return {"batch_id": str(batch_id or uuid4()), "name": name,
            "opens_at": "2017-03-01T00:00:00+08:00", "closes_at": "2017-06-30T23:59:59+08:00",
            "quota": 12}


class Upstream:
    """Numbers events of one source, as its log would, and loads them like a consumer."""

    def __init__(self, source: str):
        self.source = source
        self.position = 0

    def event(self, event_type: str, payload: dict, role: str = "drc", actor_id=None):
        self.position += 1
        return load_event({
            "event_id": str(stable_id("unit-event", self.source, self.position, uuid4())),
            "type": event_type, "schema_version": CATALOG[event_type].current_version, "source": self.source,
            "position": self.position, "previous_position": self.position - 1 or None,
            "occurred_at": datetime.now(timezone.utc).isoformat(),
            "actor": {"id": str(actor_id or uuid4()), "role": role, "name": "测试"},
            "correlation_id": str(uuid4()), "payload": payload,
        })
