"""What the registry's API answers, as the HTTP entrypoint serialises it."""

import json
from datetime import datetime, timedelta, timezone
from uuid import uuid4

from services.backbone.kernel.context import Actor
from services.backbone.web.entrypoints import json_response
from services.registry.domain import Base
from services.registry.schemas import BaseOut

BEIJING = timezone(timedelta(hours=8))
DRC = Actor(id=uuid4(), role="drc", name="省发展改革委")


def test_a_decisions_rectification_deadline_is_iso_8601_like_every_other_time():
    base = Base(name="交城县", kind="regional", region={"city": "吕梁市", "county": "交城县"},
                competent_department="交城县发展和改革局", batch_id=uuid4(),
                contacts=[{"name": "范丽萍", "phone": "0358-6012692", "email": None, "role": "primary"}],
                declared_by=uuid4(), ctx=DRC.context())
    deadline = datetime(2018, 12, 31, 23, 59, 59, tzinfo=BEIJING)
    base.record_adjustment(from_status="certified", to_status="warned", reason="评估不合格",
                           basis="evaluation", ctx=DRC.context(),
                           decision={"rectification_deadline": deadline, "score": "55.00"})

    answer = json.loads(json_response(200, BaseOut().dump(base)).get_data())

    decision = answer["adjustments"][0]["decision"]
    assert decision["rectification_deadline"] == "2018-12-31T23:59:59+08:00"
    assert datetime.fromisoformat(decision["rectification_deadline"]) == deadline
