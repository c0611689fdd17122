"""Evaluation's document routes (``documents.py``), mixed into ``EvaluationService``."""

from marshmallow import fields, validate

from services.backbone.documents.schemas import DocumentOut
from services.backbone.documents.routes import documents_of_bases
from services.backbone.documents.upload import read_upload, upload
from services.backbone.web.entrypoints import schema
from services.contracts.common import Strict

from .documents import ATTACHABLE

ATTACHERS = ("evaluator", "applicant", "drc")
DOCUMENT_READERS = ("applicant", "drc", "county_government", "competent_department", "department",
                    "evaluator", "service")


class EvaluationAttachment(Strict):
    """The form fields of POST /bases/<id>/documents beside ``file`` and ``kind``: an
    evaluation report names its occasion (a batch's or round's id), a decision's
    document the decision's number (1 the base's first)."""

    attached_to = fields.String(required=True, validate=validate.OneOf(ATTACHABLE))
    occasion_id = fields.UUID(load_default=None)
    decision = fields.Integer(validate=validate.Range(min=1, max=1000), load_default=None)


class EvaluationDocumentEndpoints(documents_of_bases(DOCUMENT_READERS)):
    """Mixin for ``EvaluationService``: it has ``app`` and ``caller``."""

    @upload("POST", "/bases/<uuid:base_id>/documents", roles=ATTACHERS)
    def http_attach_document(self, request, base_id):
        """Attaches an evaluation report, a rectification report or a decision's document."""
        call = self.caller

        def target(form: dict) -> dict:
            attached_to = {key: value for key, value in form.items() if value is not None}
            attached_to["on"] = attached_to.pop("attached_to")
            return attached_to

        sent = read_upload(request, self.documents, schema(EvaluationAttachment), lambda form: self.app.check_attachment(
            base_id, attached_to=target(form), actor=call.actor))
        document = self.app.attach_document(base_id, attached_to=target(sent.fields), upload=sent,
                                            actor=call.actor, ctx=call.context)
        return 201, schema(DocumentOut).dump(document)
