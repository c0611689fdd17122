"""The record of a document as every service's API returns it."""

from marshmallow import Schema, fields

from services.backbone.eventstore.audit import jsonable
from services.contracts.fields import Timestamp


class DocumentOut(Schema):
    """A document's record (its bytes: ``GET …/documents/<document_id>``)."""

    document_id = fields.UUID()
    attached_to = fields.Function(lambda document: jsonable(document["attached_to"]))
    kind = fields.String()
    name = fields.String()
    media_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    attached_by = fields.Function(lambda document: jsonable(document["attached_by"]))
    attached_at = Timestamp()
