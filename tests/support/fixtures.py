"""Data for tests: a batch window that is open now, declarations of the first batch."""

from datetime import datetime, timedelta, timezone
from uuid import uuid4


def batch_opened_payload(name: str = "2017年第一批", quota: int = 12, batch_id=None,
                         opens_delta=timedelta(days=-1), closes_delta=timedelta(days=30)) -> dict:
    now = datetime.now(timezone.utc)
    return {
        "batch_id": str(batch_id or uuid4()),
        "name": name,
        "opens_at": (now + opens_delta).isoformat(),
        "closes_at": (now + closes_delta).isoformat(),
        "quota": quota,
    }


def declaration(batch_id, name: str = "山西大学", kind: str = "university",
                city: str = "太原市", county: str = "小店区",
                department: str = "山西省教育厅") -> dict:
    return {
        "name": name,
        "kind": kind,
        "region": {"city": city, "county": county},
        "competent_department": department,
        "batch_id": str(batch_id),
        "contacts": [{"name": "张三", "phone": "0351-7010000", "email": "contact@example.cn",
                      "role": "primary"}],
    }
