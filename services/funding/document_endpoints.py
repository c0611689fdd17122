"""Funding's documents: the voucher of a payment (拨付凭证), attached by the funding
office to a paid tranche. Mixed into ``FundingService``."""

from marshmallow import fields

from services.backbone.kernel.documents import find_document
from services.backbone.documents.schemas import DocumentOut
from services.backbone.documents.upload import DocumentStore, download, read_upload, upload
from services.backbone.web.entrypoints import http, schema
from services.contracts.common import Strict

# Payment documents name a base's bank and amounts: the readers of funding's ledger less
# ops, who keeps the platform running and has no business with vouchers.
DOCUMENT_READERS = ("funding_office", "drc", "department", "service")


class PaymentFields(Strict):
    """The form field of POST /allocations/<id>/documents beside ``file`` and ``kind``."""

    tranche_id = fields.UUID(required=True)


class PaymentDocumentEndpoints:
    """Mixin for ``FundingService``: it has ``app`` and ``caller``."""

    documents = DocumentStore()

    @upload("POST", "/allocations/<uuid:allocation_id>/documents", roles=("funding_office",))
    def http_attach_document(self, request, allocation_id):
        """Attaches a document (multipart: file, kind, tranche_id) to a paid tranche."""
        sent = read_upload(request, self.documents, schema(PaymentFields), lambda form: self.app.allocation(
            allocation_id).check_attachable(form["tranche_id"]))
        document = self.app.attach_document(allocation_id, tranche_id=sent.fields["tranche_id"],
                                            upload=sent, ctx=self.caller.context)
        return 201, schema(DocumentOut).dump(document)

    @http("GET", "/allocations/<uuid:allocation_id>/documents", roles=DOCUMENT_READERS)
    def http_documents(self, request, allocation_id):
        """The records of an allocation's payment documents."""
        documents = self.app.allocation(allocation_id).documents
        return {"allocation_id": str(allocation_id),
                "documents": schema(DocumentOut, many=True).dump(documents)}

    @http("GET", "/allocations/<uuid:allocation_id>/documents/<uuid:document_id>", roles=DOCUMENT_READERS)
    def http_download_document(self, request, allocation_id, document_id):
        """A payment document's bytes, checked against its SHA-256 first."""
        document = find_document(self.app.allocation(allocation_id).documents, document_id)
        return download(document, self.documents.get(document["sha256"]))
