"""What a document is, judged by its bytes (magic numbers), never by its name.

A client's ``Content-Type`` and a file's extension say what the sender believes; the
bytes say what a reader's software will open. Office and OFD files are zip archives,
told apart by the parts they hold (only the archive's directory is read, nothing is
unpacked). Anything else is refused (415) with the reason.
"""

import io
import zipfile

from services.backbone.kernel.errors import UnsupportedMediaType

PDF = "application/pdf"
OFD = "application/ofd"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
JPEG = "image/jpeg"
PNG = "image/png"

ACCEPTED = {PDF: "PDF", OFD: "OFD", DOCX: "DOCX", XLSX: "XLSX", JPEG: "JPEG", PNG: "PNG"}

_SIGNATURES = ((b"%PDF-", PDF), (b"\x89PNG\r\n\x1a\n", PNG), (b"\xff\xd8\xff", JPEG))


def media_type_of(data: bytes) -> str:
    """The accepted media type of ``data``, or ``UnsupportedMediaType`` naming why not."""
    for signature, media_type in _SIGNATURES:
        if data.startswith(signature):
            return media_type
    if data.startswith(b"PK\x03\x04"):
        return _zip_kind(data)
    raise _refused("its content is none of the accepted types")


def _zip_kind(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise _refused("it begins as a zip archive but is not a readable one") from None
    if "OFD.xml" in names:
        return OFD
    if any(name.startswith("word/") for name in names) and "[Content_Types].xml" in names:
        return DOCX
    if any(name.startswith("xl/") for name in names) and "[Content_Types].xml" in names:
        return XLSX
    raise _refused("it is a zip archive, but not an OFD, DOCX or XLSX document")


def _refused(reason: str) -> UnsupportedMediaType:
    accepted = ", ".join(ACCEPTED.values())
    return UnsupportedMediaType(f"The document is not accepted: {reason} (accepted: {accepted}).",
                                fields={"file": [f"Not accepted: {reason}; accepted: {accepted}."]})
