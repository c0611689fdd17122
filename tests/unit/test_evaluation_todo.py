"""What waits in evaluation (``GET /todo``): an evaluator's unscored assignments only, the
DRC's warned bases by rectification deadline, nothing for roles evaluation gives no work."""

from datetime import datetime, timezone
from uuid import uuid4

from services.backbone.kernel.context import Actor
from services.evaluation.todo import todo

BASE = uuid4()


def at(day: int) -> datetime:
    return datetime(2018, 3, day, tzinfo=timezone.utc)


class Evaluation:
    """The two queries the 待办 reads, answering as the service's views would."""

    def assignments(self, actor):
        return [{"base_id": BASE, "base_name": "山西大学", "assigned_at": at(2), "scored_at": None},
                {"base_id": uuid4(), "base_name": "太原理工大学", "assigned_at": at(1), "scored_at": at(3)}]

    def list_bases(self, status):
        assert status == "warned"
        return [{"base_id": uuid4(), "name": "交城县", "rectification_deadline": at(20)},
                {"base_id": BASE, "name": "大同市南郊区", "rectification_deadline": at(10)}]


def test_an_evaluator_is_asked_to_score_only_what_it_has_not_scored():
    items = todo(Evaluation(), Actor(id=uuid4(), role="evaluator"))
    assert [(i["task"], i["base_name"]) for i in items] == [("score_base", "山西大学")]
    assert items[0]["link"] == f"/bases/{BASE}"


def test_the_drc_sees_warned_bases_soonest_deadline_first_and_others_nothing():
    items = todo(Evaluation(), Actor(id=uuid4(), role="drc"))
    assert [i["base_name"] for i in items] == ["大同市南郊区", "交城县"]
    assert todo(Evaluation(), Actor(id=uuid4(), role="department")) == []
