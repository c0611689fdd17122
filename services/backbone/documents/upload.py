"""Upload and download over HTTP: one route shape for every service's documents.

An upload is ``multipart/form-data`` (what an HTML form sends, and ``curl -F``): the
bytes in the part ``file`` (its filename is the document's name), what the document is
in the field ``kind``, and the route's own fields beside. The body has its own limit,
``documents.max_upload_bytes``, not ``services.max_body_bytes`` (1 MiB), which stays the
limit of every JSON command: ``UploadHttp`` is a JSON route with that one difference.
A download is the bytes, with their type, an attachment disposition and the SHA-256
(``Digest``), after the store has checked them against it.
"""

from dataclasses import replace
from urllib.parse import quote

from marshmallow import ValidationError, validate
from nameko.extensions import DependencyProvider
from werkzeug import exceptions as http_errors
from werkzeug.wrappers import Response

from services.backbone.documents.content import media_type_of
from services.backbone.kernel.documents import Upload
from services.backbone.documents.store import open_documents
from services.backbone.kernel.errors import BadRequest, PayloadTooLarge
from services.backbone.web.entrypoints import JsonHttp, validated
from services.contracts.text import TextRefused, normalise_text
from services.contracts.vocabulary import DOCUMENT_KINDS

MULTIPART = "multipart/form-data"
FORM_OVERHEAD = 64 * 1024  # the multipart framing and the few text fields beside the file
MAX_NAME = 200


def _max_upload_bytes(container) -> int:
    return container.config["PLATFORM"].documents.max_upload_bytes


class UploadHttp(JsonHttp):
    """A route taking one document as ``multipart/form-data``, up to the upload limit."""

    def __init__(self, method, url, roles, **kwargs):
        super().__init__(method, url, roles=roles, body_types=(MULTIPART,), **kwargs)

    def body_limit(self) -> int:
        return _max_upload_bytes(self.container) + FORM_OVERHEAD


upload = UploadHttp.decorator


class DocumentStore(DependencyProvider):
    """Gives workers the service's document store (``store.open_documents``), opened
    beside the service's event store, with its cipher, and its upload limit."""

    def start(self):  # every dependency is set up by now, the event store's app too
        from services.backbone.dependencies import EventStore

        settings = self.container.config["PLATFORM"]
        app = next(d.app for d in self.container.dependencies if isinstance(d, EventStore))
        self.documents = open_documents(settings, app, app.name)
        self.documents.max_upload_bytes = settings.documents.max_upload_bytes

    def get_dependency(self, worker_ctx):
        return self.documents


def read_upload(request, documents, fields_schema, admit) -> Upload:
    """Keeps the uploaded document in ``documents`` and returns what to record of it,
    with the form's other fields loaded by ``fields_schema``; 400 naming a missing or
    unreadable field, 413 over the limit, 415 for bytes of a type not accepted. Nothing
    is kept before ``admit(fields)`` has passed: whoever may not attach to that thing
    (a 403, a 422) leaves no bytes behind."""
    limit = documents.max_upload_bytes
    try:
        files, form = request.files, request.form
    except http_errors.RequestEntityTooLarge:
        raise _too_large(limit) from None
    parts = files.getlist("file")
    if len(parts) != 1:
        raise BadRequest("The request is not valid.", fields={"file": [
            "Send exactly one document in the form part named file." if parts else
            "Missing: send the document as the form part named file (multipart/form-data)."]})
    kind = _kind(form.get("kind"))
    other = validated(fields_schema, {key: form[key] for key in form if key != "kind"})
    data = parts[0].stream.read(limit + 1)
    if len(data) > limit:
        raise _too_large(limit)
    if not data:
        raise BadRequest("The request is not valid.", fields={"file": ["The document is empty."]})
    name = document_name(parts[0].filename)
    media_type = media_type_of(data)
    admit(other)
    upload = Upload(name=name, media_type=media_type, size=len(data), sha256="", kind=kind,
                    fields=other)
    return replace(upload, sha256=documents.put(data))


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The document is larger than {limit} bytes (documents.max_upload_bytes).",
                           fields={"file": [f"Larger than {limit} bytes."]})


def document_name(filename: str | None) -> str:
    """The name the sender gave, without any directory, under the text policy."""
    base = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    try:
        name = normalise_text(base)
    except TextRefused as refused:
        raise BadRequest("The request is not valid.", fields={"file": [f"Its filename: {refused}"]}) from None
    if not name or name in (".", ".."):
        raise BadRequest("The request is not valid.", fields={"file": ["The part has no filename."]})
    if len(name) > MAX_NAME:
        raise BadRequest("The request is not valid.",
                         fields={"file": [f"Its filename is longer than {MAX_NAME} characters."]})
    return name


def _kind(value: str | None) -> str:
    try:
        validate.OneOf(DOCUMENT_KINDS)(value)
    except ValidationError:
        raise BadRequest("The request is not valid.", fields={"kind": [
            f"One of: {', '.join(DOCUMENT_KINDS)}." if value else "Missing data for required field."]}) from None
    return value


def download(document: dict, data: bytes) -> Response:
    """The document's bytes, as a download (never shown inline: a browser must not
    run what a PDF or an image may carry in the platform's origin)."""
    name = quote(document["name"], safe="")
    return Response(data, status=200, mimetype=document["media_type"], headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{name}",
        "X-Content-Type-Options": "nosniff",
        "Digest": f"sha-256={document['sha256']}",
        "Cache-Control": "private, no-store",
    })
