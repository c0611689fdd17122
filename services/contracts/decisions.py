"""What a decision of record carries beside its outcome: the date it takes effect, its
document number (文号) and the document itself, by reference.

A government decision is a formal document (正式行文): it takes effect on its date,
whenever someone types it in, and it is cited by its number. The document's bytes live
in a document store; a decision carries only its content address (sha256) and name, so
the reference is checkable against the bytes and never changes under them.
"""

import re

from marshmallow import ValidationError, fields, validate, validates_schema

from .catalog import contract
from .common import Strict
from .fields import Day, Timestamp
from .text import Name

# Loose on purpose: issuer prefix (晋政办发, 晋发改创新发, 发改办高技 …), the year in
# 〔〕 (or the [] and 〔 look-alikes some systems type), a serial number, 号.
DOCUMENT_NUMBER = re.compile(r"^[\u4e00-\u9fff]{2,20}[〔\[［(（](19|20)\d\d[〕\]］)）]\d{1,5}号$")
SHA256_HEX = validate.Regexp(r"^[0-9a-f]{64}$", error="A sha256 digest: 64 lowercase hex digits.")


def DocumentNumber(**kwargs) -> fields.String:
    """A document number (文号) of the shape issuer〔year〕number号."""
    shape = validate.Regexp(DOCUMENT_NUMBER, error="A document number such as 晋政办发〔2017〕"
                                                   "105号: issuer, 〔year〕, number, 号.")
    return fields.String(validate=[validate.Length(max=40), shape], **kwargs)


class DocumentRefSchema(Strict):
    """A document by its content address: the sha256 of its bytes, and its file name."""

    sha256 = fields.String(required=True, validate=SHA256_HEX)
    name = Name(max_length=200)


class DecisionOfRecord(Strict):
    """The fields of a decision's record, for a request or an event. A published
    decision has both its number and its document; a proposed one has neither."""

    effective_on = Day(load_default=None, allow_none=True)
    document_number = DocumentNumber(load_default=None, allow_none=True)
    document = fields.Nested(DocumentRefSchema, load_default=None, allow_none=True)

    @validates_schema
    def _published_with_both(self, data, **kwargs):
        check_published(data)


def check_published(data: dict) -> None:
    """A document number without the document, or the reverse, is half a publication."""
    number, document = data.get("document_number"), data.get("document")
    if number and not document:
        raise ValidationError("A published decision attaches its document.", field_name="document")
    if document and not number:
        raise ValidationError("A published decision cites its document number (文号).",
                              field_name="document_number")


@contract("DecisionPublished", source="evaluation", version=1, example={
    "base_id": "3a6f6f0e-2b8e-5b43-9d0a-6c1f1d2e9b01", "number": 1,
    "document_number": "晋发改创新发〔2018〕12号",
    "document": {"sha256": "e3b0c44298fc1c149afbf4c8996fb924" * 2, "name": "认定决定.pdf"},
    "published_at": "2018-11-20T10:00:00+08:00",
})
class DecisionPublishedV1(Strict):
    """A decision taken as proposed (its BaseAdjusted without a 文号) was published: its
    document number and document. ``number`` is its place among the base's decisions,
    counted from 1 in the order the BaseAdjusted events of the base were published."""

    base_id = fields.UUID(required=True)
    number = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    document_number = DocumentNumber(required=True)
    document = fields.Nested(DocumentRefSchema, required=True)
    published_at = Timestamp(required=True)
