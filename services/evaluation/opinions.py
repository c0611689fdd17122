"""Departments' opinions on a batch (省直相关部门共同评选): the DRC asks named provincial
departments (教育厅, 科技厅 …) for their opinion on a batch's ranking; each answers
once (agree, agree with comments, disagree, with its text); the certification waits for
every department asked, and records their opinions with its decisions.

An aggregate per batch (not the batch itself), so answers do not contend with
declarations joining it.
"""

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.backbone.eventstore.views import View
from services.backbone.kernel.context import Actor, Context, stable_id
from services.backbone.kernel.errors import Conflict, Forbidden, RuleViolation, field_error
from services.contracts.text import comparison_key

from .domain import Batch

OPINIONS = {"agree": "同意", "agree_with_comments": "原则同意（附意见）", "disagree": "不同意"}


class BatchOpinions(Aggregate):
    """The departments asked for an opinion on a batch's ranking, and their answers."""

    @staticmethod
    def create_id(batch_id: UUID, **_: Any) -> UUID:
        return stable_id("opinions", batch_id)

    @event("Requested")
    def __init__(self, batch_id: UUID, departments: list[str], ctx: Context):
        self.batch_id = batch_id
        self.asked: list[str] = list(departments)
        self.given: dict[str, dict] = {}

    def ask(self, departments: list[str], ctx: Context) -> None:
        """Asks more departments (those already asked are not asked twice)."""
        new = [d for d in departments if self.asked_as(d) is None]
        if not new:
            raise field_error("departments", "every department named is already asked", Conflict)
        self._asked(departments=new, ctx=ctx)

    @event("MoreRequested")
    def _asked(self, departments: list[str], ctx: Context) -> None:
        self.asked.extend(departments)

    def asked_as(self, department: str) -> str | None:
        """The name the department was asked under (names compare by key)."""
        key = comparison_key(department)
        return next((d for d in self.asked if comparison_key(d) == key), None)

    def give(self, *, actor: Actor, opinion: str, comments: str, ctx: Context) -> None:
        """A department's opinion, once: only a department that was asked gives one."""
        department = self.asked_as(actor.org or "") if actor.role == "department" else None
        if department is None:
            raise Forbidden("Only a department asked for its opinion on this batch gives one.")
        if department in self.given:
            raise Conflict(f"{department} has already given its opinion on this batch.")
        if opinion != "agree" and not comments.strip():
            raise field_error("comments", "an opinion other than agreement says why")
        self._given(department=department, opinion=opinion, comments=comments, ctx=ctx)

    @event("Given")
    def _given(self, department: str, opinion: str, comments: str, ctx: Context) -> None:
        self.given[department] = {"department": department, "opinion": opinion, "comments": comments}

    @property
    def awaited(self) -> list[str]:
        return [d for d in self.asked if d not in self.given]

    def summary(self) -> str:
        """How the decisions cite the opinions: 征求意见：省教育厅同意；省科技厅不同意（…）."""
        parts = []
        for department in self.asked:
            given = self.given[department]
            part = f"{department}{OPINIONS[given['opinion']]}"
            parts.append(f"{part}（{given['comments'][:100]}）" if given["comments"] else part)
        return "征求意见：" + "；".join(parts)


class OpinionBook(View):
    """Per batch: the departments asked, and each opinion given with when and by whom."""

    def __init__(self):
        self.reset()

    def reset(self) -> None:
        self.batches: dict[UUID, dict] = {}
        self.batch_of: dict[UUID, UUID] = {}

    def apply(self, event) -> None:
        if isinstance(event, BatchOpinions.Requested):
            self.batch_of[event.originator_id] = event.batch_id
            self.batches[event.batch_id] = {"batch_id": event.batch_id, "asked": list(event.departments),
                                            "opinions": []}
        elif isinstance(event, BatchOpinions.MoreRequested):
            self.batches[self.batch_of[event.originator_id]]["asked"].extend(event.departments)
        elif isinstance(event, BatchOpinions.Given):
            self.batches[self.batch_of[event.originator_id]]["opinions"].append(
                {"department": event.department, "opinion": event.opinion, "comments": event.comments,
                 "given_at": event.timestamp, "given_by": event.ctx.as_dict()})

    def of_batch(self, batch_id: UUID) -> dict:
        return self.batches.get(batch_id) or {"batch_id": batch_id, "asked": [], "opinions": []}


class DepartmentOpinions:
    """Mixin of the evaluation application: asking departments and their opinions."""

    def ask_opinions(self, batch_id: UUID, *, departments: list[str], ctx: Context) -> BatchOpinions:
        batch = self.require(batch_id, Batch, "batch")
        if batch.concluded:
            raise RuleViolation(f"The selection of batch {batch.name} is concluded.")
        opinions = self.find(BatchOpinions.create_id(batch_id), BatchOpinions)
        if opinions is None:
            opinions = BatchOpinions(batch_id=batch_id, departments=departments, ctx=ctx)
        else:
            opinions.ask(departments, ctx)
        self.save(opinions)
        return opinions

    def give_opinion(self, batch_id: UUID, *, opinion: str, comments: str, actor: Actor,
                     ctx: Context) -> BatchOpinions:
        batch = self.require(batch_id, Batch, "batch")
        opinions = self.find(BatchOpinions.create_id(batch_id), BatchOpinions)
        if opinions is None:
            raise Forbidden("No department was asked for its opinion on this batch.")
        if batch.concluded:
            raise RuleViolation(f"The selection of batch {batch.name} is concluded.")
        opinions.give(actor=actor, opinion=opinion, comments=comments, ctx=ctx)
        self.save(opinions)
        return opinions

    def opinions(self, batch_id: UUID) -> dict:
        self.require(batch_id, Batch, "batch")
        return self.views[OpinionBook].of_batch(batch_id)

    def opinions_note(self, batch: Batch) -> str:
        """What the certification's decisions say of the departments' opinions ("" when
        none was asked); refused while an asked department has not answered."""
        opinions = self.find(BatchOpinions.create_id(batch.id), BatchOpinions)
        if opinions is None:
            return ""
        if opinions.awaited:
            raise Conflict(f"Awaiting the opinion of {'、'.join(opinions.awaited)} on batch {batch.name}.",
                           fields={"departments": opinions.awaited})
        return opinions.summary()
