"""What a service's log records of an attached document. Pure: no I/O.

The bytes are in the document store under their SHA-256; the event records the name the
sender gave, the type its bytes are, its size, that hash, what it is (a code of
``DOCUMENT_KINDS``), what it is attached to and who attached it, so the audit trail and
the log's hash chain cover the document itself: altering the bytes breaks the hash,
altering the hash breaks the chain.
"""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from services.backbone.kernel.context import Context, stable_id
from services.backbone.kernel.errors import NotFound


@dataclass(frozen=True)
class Upload:
    """A document as received and kept: its bytes are in the store under ``sha256``."""

    name: str
    media_type: str
    size: int
    sha256: str
    kind: str
    fields: dict  # the form's other fields, as the route's schema loaded them


def document_record(*, owner_id: UUID, attached_to: dict, upload: Upload, attached_at: datetime,
                    ctx: Context) -> dict:
    """The record of ``upload`` attached to ``attached_to`` (e.g. ``{"on": "plan",
    "version": 2}``) of aggregate ``owner_id``. Its id follows from all three, so the
    same bytes sent again for the same thing (a retry) are the same document."""
    target = {key: attached_to[key] for key in sorted(attached_to)}
    document_id = stable_id("document", owner_id, *target.items(), upload.sha256)
    return {
        "document_id": document_id,
        "attached_to": target,
        "kind": upload.kind,
        "name": upload.name,
        "media_type": upload.media_type,
        "size": upload.size,
        "sha256": upload.sha256,
        "attached_by": {"id": ctx.actor_id, "role": ctx.role, "name": ctx.name},
        "attached_at": attached_at,
    }


def find_document(documents: list[dict], document_id: UUID) -> dict:
    for document in documents:
        if document["document_id"] == document_id:
            return document
    raise NotFound(f"No document {document_id} here.")


def attached_before(documents: list[dict], document: dict) -> dict | None:
    """The record of ``document`` if it is attached already (a retry), else None."""
    return next((kept for kept in documents if kept["document_id"] == document["document_id"]), None)
