"""nameko's log of a failed worker: client errors dropped, an unavailable store one
warning line, real faults kept with their traceback."""

import logging

import pytest
from eventsourcing.persistence import ConnectionUnavailableError
from marshmallow import ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from services.backbone.messaging.broker import nameko_config
from services.backbone.config import load_config
from services.backbone.kernel.errors import Forbidden, NotFound, RuleViolation
from services.backbone.ops.worker_logs import WorkerErrorFilter


def logged(error: Exception) -> logging.LogRecord | None:
    """What the filter lets through of nameko's ``_log.exception`` for ``error``."""
    try:
        raise error
    except Exception:
        import sys

        record = logging.LogRecord("nameko.containers", logging.ERROR, __file__, 1,
                                   "error handling worker %s: %s",
                                   ("<WorkerContext [registry.http_declare] at 0x7f>", error),
                                   sys.exc_info())
    return record if WorkerErrorFilter().filter(record) else None


@pytest.mark.parametrize("error", [Forbidden("not yours"), NotFound("no base"),
                                   RuleViolation("closed"), ValidationError({"name": ["missing"]}),
                                   RequestEntityTooLarge()])
def test_errors_the_client_caused_are_not_logged(error):
    assert logged(error) is None


def test_a_store_that_did_not_answer_is_one_warning_without_traceback():
    record = logged(ConnectionUnavailableError("Timed out waiting for connection pool semaphore"))
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert record.getMessage() == (
        "error handling worker <WorkerContext [registry.http_declare] at 0x7f> (answered 503): "
        "ConnectionUnavailableError('Timed out waiting for connection pool semaphore')")


def test_a_fault_keeps_its_error_level_and_traceback():
    record = logged(KeyError("kind"))
    assert record.levelno == logging.ERROR and record.exc_info[0] is KeyError


def test_every_service_process_installs_the_filter():
    logging_config = nameko_config(load_config("test", {"auth": {"secret": "s"}}, environ={}),
                                   "registry")["LOGGING"]
    names = logging_config["loggers"]["nameko.containers"]["filters"]
    factories = [logging_config["filters"][name]["()"] for name in names]
    assert "services.backbone.ops.worker_logs.WorkerErrorFilter" in factories
