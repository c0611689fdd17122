"""The read routes of a service whose documents hang off its bases (the registry's,
evaluation's): the list of records and a document's bytes, for ``readers``; which
base's documents a reader may see, the application decides (``documents``,
``document``). Built per service like ``published_log(readers)``."""

from services.backbone.documents.schemas import DocumentOut
from services.backbone.documents.upload import DocumentStore, download
from services.backbone.web.entrypoints import http, schema


def documents_of_bases(readers: tuple[str, ...]) -> type:
    class DocumentsOfBases:
        """Mixin for a service class with ``app`` and ``caller``."""

        documents = DocumentStore()

        @http("GET", "/bases/<uuid:base_id>/documents", roles=readers)
        def http_documents(self, request, base_id):
            """The records of a base's documents, for those who may see them."""
            documents = self.app.documents(base_id, self.caller.actor)
            return {"base_id": str(base_id), "documents": schema(DocumentOut, many=True).dump(documents)}

        @http("GET", "/bases/<uuid:base_id>/documents/<uuid:document_id>", roles=readers)
        def http_download_document(self, request, base_id, document_id):
            """A document's bytes, checked against its SHA-256 first."""
            document = self.app.document(base_id, document_id, self.caller.actor)
            return download(document, self.documents.get(document["sha256"]))

    return DocumentsOfBases
