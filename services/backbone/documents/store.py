"""Where a service keeps the bytes of its documents: by their SHA-256, so that the same
bytes are kept once, the log's record names them exactly, and a read that does not hash
to that name is refused, never served.

``FileDocuments``: one file per hash under ``documents.files_dir/<service>/`` (0600, in
a 0700 directory), the default. ``TableDocuments``: a table of bytea by hash in the
service's own store (its PostgreSQL schema), for production. Both encrypt with the
store's cipher when the service's log is encrypted: a document holds what its
declaration does (people, figures), and must not be readable where the log is not.
Nothing is ever deleted.
"""

import hashlib
import logging
import os
import tempfile
from pathlib import Path

from services.backbone.config import resolve_path
from services.backbone.eventstore.stores import side_table
from services.backbone.kernel.errors import PlatformError

log = logging.getLogger(__name__)


class DocumentUnreadable(PlatformError):
    """The bytes kept for a recorded document are missing or do not hash to its
    record: an integrity fault of the platform, reported, never served."""

    status = 500
    code = "document_unreadable"


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _Documents:
    """Encrypts what it keeps (when given a cipher) and checks every read's hash."""

    def __init__(self, cipher=None):
        self.cipher = cipher

    def put(self, data: bytes) -> str:
        """Keeps ``data`` (once, however often it is put) and returns its SHA-256."""
        digest = sha256_of(data)
        if not self._has(digest):
            self._write(digest, self.cipher.encrypt(data) if self.cipher else data)
        return digest

    def get(self, digest: str) -> bytes:
        """The bytes whose SHA-256 is ``digest``; ``DocumentUnreadable`` if they are
        missing, do not decrypt, or hash otherwise."""
        kept = self._read(digest)
        if kept is None:
            raise self._fault(digest, "is missing from the document store")
        try:
            data = self.cipher.decrypt(kept) if self.cipher else kept
        except ValueError:
            raise self._fault(digest, "does not decrypt with the store's key") from None
        if sha256_of(data) != digest:
            raise self._fault(digest, "does not match its SHA-256 (altered or damaged)")
        return data

    @staticmethod
    def _fault(digest: str, what: str) -> DocumentUnreadable:
        log.error("document %s %s", digest, what)
        return DocumentUnreadable(f"The document {digest} {what}; it is not served. "
                                  "Operations have been told (the service's log).")

    def _has(self, digest: str) -> bool:
        raise NotImplementedError

    def _write(self, digest: str, kept: bytes) -> None:
        raise NotImplementedError

    def _read(self, digest: str) -> bytes | None:
        raise NotImplementedError


class FileDocuments(_Documents):
    """One file per document, named by its hash, readable by the platform's user only."""

    def __init__(self, root: Path, cipher=None):
        super().__init__(cipher)
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)

    def _path(self, digest: str) -> Path:
        if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
            raise ValueError(f"not a SHA-256 in hex: {digest!r}")
        return self.root / digest

    def _has(self, digest: str) -> bool:
        return self._path(digest).exists()

    def _write(self, digest: str, kept: bytes) -> None:
        # Written aside and renamed: a reader never sees half a file, and two writers of
        # the same bytes both end with the whole file.
        descriptor, temporary = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        try:
            with os.fdopen(descriptor, "wb") as file:  # mkstemp makes it 0600
                file.write(kept)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self._path(digest))
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def _read(self, digest: str) -> bytes | None:
        try:
            return self._path(digest).read_bytes()
        except FileNotFoundError:
            return None


class TableDocuments(_Documents):
    """A table of the service's own store: ``documents (sha256, content)``."""

    def __init__(self, app, cipher=None):
        super().__init__(cipher)
        self.app = app
        self.table, self.ph = side_table(app, "documents", "sha256 TEXT PRIMARY KEY, "
                                                           "content BYTEA NOT NULL")

    def _has(self, digest: str) -> bool:
        return self._select("1", digest) is not None

    def _write(self, digest: str, kept: bytes) -> None:
        with self.app.recorder.datastore.transaction(commit=True) as cursor:
            cursor.execute(f"INSERT INTO {self.table} (sha256, content) VALUES ({self.ph}, {self.ph}) "
                           "ON CONFLICT (sha256) DO NOTHING", (digest, kept))

    def _read(self, digest: str) -> bytes | None:
        return self._select("content", digest)

    def _select(self, column: str, digest: str):
        with self.app.recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(f"SELECT {column} AS value FROM {self.table} WHERE sha256 = {self.ph}",
                           (digest,))
            row = cursor.fetchone()
        return None if row is None else bytes(row["value"]) if column == "content" else True


def open_documents(settings, app, service: str) -> _Documents:
    """The document store ``settings.documents`` names, for ``service``, encrypted
    when its log is (the application's cipher)."""
    cipher = getattr(getattr(app, "mapper", None), "cipher", None)
    if settings.documents.backend == "postgres":
        return TableDocuments(app, cipher)
    return FileDocuments(resolve_path(settings.documents.files_dir) / service, cipher)
