"""Documents in production's store: a table of the service's own PostgreSQL schema,
encrypted like its log, each read checked against its hash."""

import pytest

from services.backbone.documents.store import DocumentUnreadable, open_documents
from services.backbone.eventstore.stores import open_application
from services.registry.application import RegistryApplication
from tests.support import documents as samples
from tests.support.settings import settings_of


def test_documents_are_kept_encrypted_in_the_services_schema_and_never_served_altered(postgres_db):
    settings = settings_of({"store": {"backend": "postgres", "postgres": {"dbname": postgres_db},
                                      "cipher_key": "test-key-" + "k" * 32},
                            "documents": {"backend": "postgres"}})
    app = open_application(RegistryApplication, settings.store, "registry")
    try:
        store = open_documents(settings, app, "registry")
        digest = store.put(samples.XLSX)
        assert store.put(samples.XLSX) == digest and store.get(digest) == samples.XLSX
        assert store.table == '"registry".documents'
        with app.recorder.datastore.transaction(commit=True) as cursor:
            cursor.execute(f"SELECT content FROM {store.table}")
            assert b"xl/workbook.xml" not in bytes(cursor.fetchone()["content"])  # encrypted at rest
            cursor.execute(f"UPDATE {store.table} SET content = %s", (samples.PDF,))
        with pytest.raises(DocumentUnreadable):
            store.get(digest)
    finally:
        app.close()
