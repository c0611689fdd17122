"""An ops action on a dead letter is audited whatever the letter's body holds."""

from uuid import uuid4

import pytest

from services.backbone.eventstore.parked_events import DeadLetterRecord
from tests.support.evaluation_world import DRC, World

BODIES = {"not JSON": b"\x00\x01", "nested too deep": b'{"x": ' + b"[" * 50000 + b"]" * 50000 + b"}",
          "a position past int64": b'{"source": "registry", "position": 100000000000000000000000000000}'}


@pytest.mark.parametrize("body", BODIES.values(), ids=BODIES)
def test_discarding_a_dead_letter_that_is_no_event_is_recorded(body):
    app, message_id = World().app, str(uuid4())
    app.record_dead_letter_action(queue="sc.evaluation.from.registry.dlq", message_id=message_id, error="x",
                                  body=body, action="discard", reason="无法解析", ctx=DRC.context())
    record = app.repository.get(DeadLetterRecord.create_id("sc.evaluation.from.registry.dlq", message_id))
    assert record.actions == ["discarded"]
