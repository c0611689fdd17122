"""What nameko logs about a worker that raised, sorted into what ops should read.

nameko logs every exception a worker raises at ERROR with its traceback, a client's
403, 404 or 422 included (answered, and counted in the HTTP metrics). This filter on
``nameko.containers`` drops those, makes a store that did not answer (503) one WARNING
line, and leaves every other error, traceback and all.
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
