"""Documents: accepted by their bytes, kept by their hash, never served altered."""

import os
import stat

import pytest

from services.backbone.config import ConfigError
from services.backbone.documents.content import DOCX, JPEG, OFD, PDF, PNG, XLSX, media_type_of
from services.backbone.documents.store import DocumentUnreadable, FileDocuments, TableDocuments, sha256_of
from services.backbone.documents.upload import document_name
from services.backbone.eventstore.application import ServiceApplication
from services.backbone.eventstore.stores import AtRestCipher
from services.backbone.kernel.errors import BadRequest, UnsupportedMediaType
from tests.support import documents as samples
from tests.support.settings import settings_of


@pytest.mark.parametrize("data, media_type", [
    (samples.PDF, PDF), (samples.PNG, PNG), (samples.JPEG, JPEG),
    (samples.OFD, OFD), (samples.DOCX, DOCX), (samples.XLSX, XLSX)])
def test_each_accepted_type_is_known_by_its_bytes(data, media_type):
    assert media_type_of(data) == media_type


@pytest.mark.parametrize("data, reason", [
    (samples.EXE, "none of the accepted types"),
    (b"just text, named plan.pdf", "none of the accepted types"),
    (samples.PLAIN_ZIP, "not an OFD, DOCX or XLSX"),
    (b"PK\x03\x04 broken", "not a readable one")])
def test_anything_else_is_refused_with_its_reason(data, reason):
    with pytest.raises(UnsupportedMediaType) as refused:
        media_type_of(data)
    assert refused.value.status == 415
    assert reason in refused.value.fields["file"][0]


def test_a_file_store_keeps_bytes_once_by_hash_readable_by_the_platform_only(tmp_path):
    store = FileDocuments(tmp_path / "registry")
    digest = store.put(samples.PDF)
    assert digest == sha256_of(samples.PDF) and store.put(samples.PDF) == digest
    kept = tmp_path / "registry" / digest
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert os.listdir(tmp_path / "registry") == [digest]
    assert store.get(digest) == samples.PDF


def test_altered_or_missing_bytes_are_never_served(tmp_path):
    store = FileDocuments(tmp_path)
    digest = store.put(samples.PDF)
    (tmp_path / digest).write_bytes(samples.PDF + b"%tampered")
    with pytest.raises(DocumentUnreadable, match="does not match its SHA-256"):
        store.get(digest)
    (tmp_path / digest).unlink()
    with pytest.raises(DocumentUnreadable, match="missing"):
        store.get(digest)


def test_documents_of_an_encrypted_service_are_encrypted_at_rest(tmp_path):
    from base64 import b64encode

    cipher = AtRestCipher({"CIPHER_KEY": b64encode(b"k" * 32).decode()})
    store = FileDocuments(tmp_path, cipher)
    digest = store.put(samples.PDF)
    assert b"%PDF" not in (tmp_path / digest).read_bytes()
    assert store.get(digest) == samples.PDF


def test_a_table_store_keeps_documents_in_the_services_own_store(tmp_path):
    app = ServiceApplication(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                                  "SQLITE_DBNAME": str(tmp_path / "log.sqlite3")})
    store = TableDocuments(app)
    digest = store.put(samples.DOCX)
    assert store.put(samples.DOCX) == digest
    assert store.get(digest) == samples.DOCX
    with app.recorder.datastore.transaction(commit=True) as cursor:
        cursor.execute(f"UPDATE {store.table} SET content = ?", (samples.PDF,))
    with pytest.raises(DocumentUnreadable):
        store.get(digest)


def test_a_documents_name_is_its_filename_without_directories():
    assert document_name("C:\\材料\\申报书（盖章）.pdf") == "申报书（盖章）.pdf"
    assert document_name("../../etc/passwd") == "passwd"
    for bad in ("", "..", "plan\u202e.pdf"):
        with pytest.raises(BadRequest) as refused:
            document_name(bad)
        assert "file" in refused.value.fields


def test_documents_in_postgres_need_the_services_store_there():
    with pytest.raises(ConfigError, match="store.backend: postgres"):
        settings_of({"documents": {"backend": "postgres"}})
    assert settings_of({}).documents.max_upload_bytes > settings_of({}).services.max_body_bytes
