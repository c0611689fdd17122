"""The registry's entrypoints of review: returns of a plan or a declaration, and the
documents of a base. Mixed into ``RegistryService`` (thin, as its own entrypoints)."""

from services.backbone.documents.routes import documents_of_bases
from services.backbone.documents.upload import read_upload, upload
from services.backbone.kernel.ids import path_id
from services.backbone.web.entrypoints import http, rpc, schema, validated
from services.backbone.web.inputs import read_json

from services.backbone.documents.schemas import DocumentOut

from .schemas import (AttachmentFields, BaseOut, DeclarationReturnRequest, PlanReturnRequest,
                      ResubmissionRequest)

PLAN_RETURNERS = ("county_government", "competent_department", "drc")
ATTACHERS = ("applicant", "drc", "county_government", "competent_department")
# Who may read some base's documents; which base's, the base decides (shows_documents_to).
DOCUMENT_READERS = ATTACHERS + ("department", "evaluator", "service")


class ReviewEndpoints(documents_of_bases(DOCUMENT_READERS)):
    """Mixin for ``RegistryService``: it has ``app`` and ``caller``."""

    @http("POST", "/bases/<uuid:base_id>/plan/returns", roles=PLAN_RETURNERS)
    def http_return_plan(self, request, base_id):
        return 201, self.return_plan(str(base_id), **read_json(request))

    @rpc(roles=PLAN_RETURNERS)
    def return_plan(self, base_id, **plan_return):
        """Returns the current plan version for revision with comments (退回修改): its
        county government or competent department, or the DRC at filing."""
        data = validated(schema(PlanReturnRequest), plan_return)
        call = self.caller
        base = self.app.return_plan(path_id(base_id, "base_id"), **data, actor=call.actor,
                                    ctx=call.context)
        return schema(BaseOut).dump(base)

    @http("POST", "/bases/<uuid:base_id>/declaration/returns", roles=("drc",))
    def http_return_declaration(self, request, base_id):
        return 201, self.return_declaration(str(base_id), **read_json(request))

    @rpc(roles=("drc",))
    def return_declaration(self, base_id, **declaration_return):
        """Returns an undecided declaration for completion (退回补正) while its batch is open."""
        data = validated(schema(DeclarationReturnRequest), declaration_return)
        call = self.caller
        base = self.app.return_declaration(path_id(base_id, "base_id"), **data,
                                           actor=call.actor, ctx=call.context)
        return schema(BaseOut).dump(base)

    @http("POST", "/bases/<uuid:base_id>/declaration/resubmissions", roles=("applicant",))
    def http_resubmit_declaration(self, request, base_id):
        return 201, self.resubmit_declaration(str(base_id), **read_json(request))

    @rpc(roles=("applicant",))
    def resubmit_declaration(self, base_id, **resubmission):
        """The applicant resubmits its returned declaration, completed."""
        data = validated(schema(ResubmissionRequest), resubmission)
        call = self.caller
        base = self.app.resubmit_declaration(path_id(base_id, "base_id"), **data,
                                             actor=call.actor, ctx=call.context)
        return schema(BaseOut).dump(base)

    @upload("POST", "/bases/<uuid:base_id>/documents", roles=ATTACHERS)
    def http_attach_document(self, request, base_id):
        """Attaches a document (multipart: file, kind, attached_to, version) to the
        declaration, a plan version or an approval; 201 with its record."""
        call = self.caller

        def target(form: dict) -> dict:
            return {"on": form["attached_to"], **({"version": form["version"]} if form["version"] else {})}

        sent = read_upload(request, self.documents, schema(AttachmentFields), lambda form: self.app.check_attachment(
            base_id, attached_to=target(form), actor=call.actor))
        document = self.app.attach_document(base_id, attached_to=target(sent.fields), upload=sent,
                                            actor=call.actor, ctx=call.context)
        return 201, schema(DocumentOut).dump(document)
