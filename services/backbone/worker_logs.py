"""What nameko logs about a worker that raised, sorted into what ops should read.

nameko logs every exception a worker raises with its traceback at ERROR, so each 403,
404 or 422 a client caused (already answered as JSON, and counted in the HTTP metrics
by status) was an ERROR in the service's log, and formatting the traceback cost more
than answering. Installed on the ``nameko.containers`` logger, this filter drops
those, turns a store that did not answer (answered 503, retried by the client) into
one WARNING line without the traceback, and leaves every other error as it is: a real
fault keeps its traceback.
"""

import logging

from eventsourcing.persistence import InterfaceError, OperationalError
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from services.contracts import ContractViolation

from .errors import PlatformError

CLIENT_ERRORS = (ValidationError, ContractViolation)
STORE_UNAVAILABLE = (OperationalError, InterfaceError)


class WorkerErrorFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is None:
            return True
        if isinstance(error, CLIENT_ERRORS) or (isinstance(error, PlatformError) and error.status < 500) \
                or (isinstance(error, HTTPException) and (error.code or 500) < 500):  # e.g. 413
            return False
        if isinstance(error, STORE_UNAVAILABLE + (PlatformError,)):
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg, record.args = "%s (answered %s): %r", (
                record.getMessage().split(":", 1)[0], getattr(error, "status", 503), error)
            record.exc_info = record.exc_text = None
        return True
