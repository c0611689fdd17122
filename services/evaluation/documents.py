"""Evaluation's documents: an evaluation report on a score, a rectification report, a
decision's document. An aggregate of their own per base (``BaseDocuments``), beside the
``Base``, so that attaching a report never conflicts with a decision being taken.

Who attaches what: an evaluation report, the evaluator whose score it explains (once
scored) or the DRC (a third-party institution's report); a rectification report, the
base's applicant, once the base was warned; a decision's document (文件), the DRC. They
are seen by those who work with the base (as its contacts), departments and evaluators.
"""

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.backbone.eventstore.conflicts import retry_on_conflict
from services.backbone.kernel.documents import Upload, attached_before, document_record, find_document
from services.backbone.kernel.context import Actor, Context, stable_id
from services.backbone.kernel.errors import BadRequest, Forbidden, NotFound, RuleViolation, field_error
from services.backbone.kernel.privacy import may_see_contacts

from .domain import Assessment, Base

ATTACHABLE = ("evaluation_report", "rectification", "decision")


class BaseDocuments(Aggregate):
    """The documents evaluation keeps of one base."""

    @staticmethod
    def create_id(base_id: UUID, **_: Any) -> UUID:
        return stable_id("evaluation-documents", base_id)

    @event("Opened")
    def __init__(self, base_id: UUID, ctx: Context):
        self.base_id = base_id
        self.documents: list[dict] = []

    def attach(self, document: dict, ctx: Context) -> dict:
        """Records a document once; the same one again answers the first record."""
        earlier = attached_before(self.documents, document)
        if earlier is not None:
            return earlier
        self._attached(base_id=self.base_id, document=document, ctx=ctx)
        return document

    @event("DocumentAttached")
    def _attached(self, base_id: UUID, document: dict, ctx: Context) -> None:
        self.documents.append(document)


def check_may_attach(base: Base, attached_to: dict, actor: Actor,
                     assessment: Assessment | None) -> None:
    on = attached_to["on"]
    if on == "evaluation_report":
        if assessment is None:
            raise field_error("occasion_id", "the base was not assessed on that occasion")
        if actor.role != "drc" and actor.id not in assessment.weighted:
            raise Forbidden("An evaluation report is attached by the evaluator who scored the "
                            "base on that occasion, or by the DRC.")
    elif on == "rectification":
        if not base.is_represented_by(actor):
            raise Forbidden("Only the base's own applicant attaches its rectification report.")
        if not any(decision.to_status == "warned" for decision in base.decisions):
            raise RuleViolation(f"{base.name} was never warned: it has nothing to rectify.")
    elif on == "decision":
        if actor.role != "drc":
            raise Forbidden("Only the DRC attaches a decision's document.")
        number = attached_to.get("decision")
        if not number or not 1 <= number <= len(base.decisions):
            raise field_error("decision", f"the base has {len(base.decisions)} decisions; "
                                          "name one by its number (1 the first)")
    else:
        raise field_error("attached_to", f"one of: {', '.join(ATTACHABLE)}", BadRequest)


def shows_documents_to(base: Base, actor: Actor) -> bool:
    return actor.role in ("department", "evaluator") or may_see_contacts(
        actor, base_id=base.id, region=base.region, competent_department=base.competent_department,
        declared_by=base.declared_by)


class DocumentsOfBases:
    """Mixin of ``EvaluationApplication``: attaching and reading evaluation's documents."""

    @retry_on_conflict
    def attach_document(self, base_id: UUID, *, attached_to: dict, upload: Upload, actor: Actor,
                        ctx: Context) -> dict:
        base = self.check_attachment(base_id, attached_to=attached_to, actor=actor)
        kept = (self.find(BaseDocuments.create_id(base.id), BaseDocuments)
                or BaseDocuments(base_id=base.id, ctx=ctx))
        record = document_record(owner_id=base.id, attached_to=attached_to, upload=upload,
                                 attached_at=self.clock(), ctx=ctx)
        document = kept.attach(record, ctx)
        self.save(kept)
        return document

    def check_attachment(self, base_id: UUID, *, attached_to: dict, actor: Actor) -> Base:
        """Whether ``actor`` may attach a document there (before its bytes are kept)."""
        base = self._documented_base(base_id)
        occasion = attached_to.get("occasion_id")
        assessment = (self.find(Assessment.create_id(occasion, base.id), Assessment)
                      if occasion is not None else None)
        check_may_attach(base, attached_to, actor, assessment)
        return base

    def documents(self, base_id: UUID, viewer: Actor) -> list[dict]:
        base = self._documented_base(base_id)
        if not shows_documents_to(base, viewer):
            raise Forbidden("Only those who work with the base, and its reviewers, see its documents.")
        kept = self.find(BaseDocuments.create_id(base.id), BaseDocuments)
        return kept.documents if kept is not None else []

    def document(self, base_id: UUID, document_id: UUID, viewer: Actor) -> dict:
        return find_document(self.documents(base_id, viewer), document_id)

    def _documented_base(self, base_id: UUID) -> Base:
        base = self.find(base_id, Base)
        if base is None:
            raise NotFound(f"No base {base_id}.")
        return base
