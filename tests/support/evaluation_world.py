"""A small world for the evaluation service's unit tests: the application in memory
with a fixed clock, declarations arriving as the registry would send them."""

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID, uuid4

from tests.support.settings import settings_of
from services.backbone.kernel.context import Actor, stable_id
from services.contracts import ActorRef, new_event
from services.contracts.vocabulary import CONSTRUCTION_TASKS
from services.evaluation.application import EvaluationApplication

NOW = datetime(2017, 6, 1, 9, 0, tzinfo=timezone(timedelta(hours=8)))
RUBRICS = {"regional": "regional-2017.1", "university": "university-2017.1",
           "enterprise": "enterprise-2017.1"}
POLICY_IN_FORCE = "adjustment-2018.1"
DRC = Actor(id=stable_id("actor", "drc"), role="drc", name="省发展改革委")


def sheet(kind: str, score) -> dict:
    """A score sheet giving every dimension of the kind's rubric the same score."""
    return {code: Decimal(str(score)) for code in CONSTRUCTION_TASKS[kind]}


class World:
    """The evaluation application in memory, and the actors around it."""

    def __init__(self):
        self.app = EvaluationApplication()
        self.app.configure(settings_of({"evaluation": {"adjustment_policy": POLICY_IN_FORCE}}).evaluation)
        self.now = NOW
        self.app.clock = lambda: self.now
        self.position = 0
        self.evaluators = 0
        self.applicants: dict[UUID, Actor] = {}

    def ctx(self):
        return DRC.context()

    def open_batch(self, name="2017年第一批", quota=12) -> UUID:
        batch = self.app.open_batch(name=name, opens_at=self.now - timedelta(days=30),
                                    closes_at=self.now + timedelta(days=30), quota=quota,
                                    rubrics=dict(RUBRICS), ctx=self.ctx())
        return batch.id

    def declare(self, batch_id, name="山西大学", kind="university", city="太原市",
                county="小店区") -> UUID:
        """A BaseDeclared from the registry, applied as the consumer would."""
        event = self.declaration(batch_id, name, kind, city, county)
        assert self.app.receive(event)
        return event.payload["base_id"]

    def declaration(self, batch_id, name="山西大学", kind="university", city="太原市",
                    county="小店区"):
        """The BaseDeclared the registry would publish next (not applied)."""
        base_id = stable_id("base", batch_id, name)
        applicant = Actor(id=uuid4(), role="applicant", name=name)
        self.applicants[base_id] = applicant
        self.position += 1
        return new_event(
            event_id=uuid4(), type="BaseDeclared", source="registry", position=self.position,
            previous_position=self.position - 1 or None, occurred_at=self.now,
            actor=ActorRef(applicant.id, "applicant", name), correlation_id=uuid4(),
            payload={"base_id": base_id, "name": name, "kind": kind,
                     "region": {"city": city, "county": county},
                     "competent_department": "山西省教育厅", "batch_id": batch_id,
                     "contacts": [{"name": "张三", "phone": "0351-7010000", "email": None, "role": "primary"}]})

    def evaluator(self, name="王专家", city="大同市", organisation="山西省科学技术厅") -> Actor:
        registered = self.app.register_evaluator(
            name=name, organisation=organisation, region={"city": city, "county": "城区"},
            ctx=self.ctx())
        return Actor(id=registered.id, role="evaluator", name=name)

    def assign(self, base_id, evaluator: Actor, **occasion):
        return self.app.assign(base_id=base_id, evaluator_id=evaluator.id, ctx=self.ctx(), **occasion)

    def score(self, base_id, evaluator: Actor, scores, **occasion):
        return self.app.score(base_id=base_id, scores=scores, comment="", actor=evaluator,
                              ctx=evaluator.context(), **occasion)

    def scored(self, base_id, kind: str, marks, **occasion) -> None:
        """Assigns one evaluator per mark (from cities far from Taiyuan) and scores."""
        for mark in marks:
            self.evaluators += 1
            evaluator = self.evaluator(name=f"专家{self.evaluators}")
            self.assign(base_id, evaluator, **occasion)
            self.score(base_id, evaluator, sheet(kind, mark), **occasion)

    def assigned_pair(self) -> tuple[UUID, UUID, UUID, Actor]:
        """A batch with two declarations, each assigned to its own evaluator: returns
        the batch, the base of the evaluator returned, the other base, the evaluator."""
        batch_id = self.open_batch()
        mine, other = self.declare(batch_id, name="甲"), self.declare(batch_id, name="乙")
        evaluator = self.evaluator()
        self.assign(mine, evaluator, batch_id=batch_id)
        self.assign(other, self.evaluator(name="另一专家"), batch_id=batch_id)
        return batch_id, mine, other, evaluator

    def certified(self, count: int = 1, kind: str = "university") -> tuple[UUID, list[UUID]]:
        """A batch of ``count`` certified bases (scored 85, in Taiyuan)."""
        batch_id = self.open_batch(quota=max(count, 1))
        bases = [self.declare(batch_id, name=f"基地{i}", kind=kind) for i in range(count)]
        for base_id in bases:
            self.scored(base_id, kind, [85], batch_id=batch_id)
        self.app.close_batch(batch_id, ctx=self.ctx())
        self.app.certify(batch_id, base_ids=None, ctx=self.ctx())
        return batch_id, bases

    def round(self, name="2018年上半年第三方评估", kind="third_party", period="2018H1") -> UUID:
        return self.app.open_round(kind=kind, name=name, period=period, rubrics=dict(RUBRICS),
                                   ctx=self.ctx()).id

    def graded(self, round_id, marks: dict, kind="university", policy="adjustment-2018.1"):
        """Scores each base of the round with its mark and closes the round."""
        for base_id, mark in marks.items():
            self.scored(base_id, kind, [mark], round_id=round_id)
        return self.app.close_round(round_id, policy_version=policy, ctx=self.ctx())

    def status(self, base_id) -> str:
        return self.app.repository.get(base_id).status
