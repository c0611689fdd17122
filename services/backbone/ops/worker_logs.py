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

from services.backbone.web.entrypoints import as_platform_error


class WorkerErrorFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        answer = as_platform_error(error) if error is not None else None
        if answer is None:  # not an exception, or a real fault: as nameko logs it
            return True
        if answer.status < 500:  # the client's error, answered
            return False
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.msg, record.args = "%s (answered %s): %r", (
            record.getMessage().split(":", 1)[0], answer.status, error)
        record.exc_info = record.exc_text = None
        return True
