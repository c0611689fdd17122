"""What a service says when it starts: its address once it answers, and nothing about a
peer that is simply not up yet (services start in any order), but a warning when a peer
that runs could not be read."""

import logging
from types import SimpleNamespace

from nameko.exceptions import UnknownService

from services.backbone.messaging.gap_filler import GapFiller
from services.backbone.messaging.source_log_client import SourceUnavailable
from services.backbone.runner import _consuming


class SourceLogFailing:
    """A source's log that cannot be read, for ``cause``."""

    def __init__(self, cause: Exception):
        self.cause = cause

    def page_after(self, after: int):
        try:
            raise self.cause
        except Exception as error:
            raise SourceUnavailable(f"funding log unreadable: {error!r}") from error


def catch_up(cause: Exception) -> None:
    app = SimpleNamespace(name="notifications", last_position=lambda source: 0)
    GapFiller(app, "funding", SourceLogFailing(cause), applier=None, parker=None,
              progress=None).catch_up_at_start()


def test_a_peer_not_running_yet_at_start_is_not_news(caplog):
    with caplog.at_level(logging.DEBUG, logger="services.backbone.messaging.gap_filler"):
        catch_up(UnknownService("funding"))
    assert [r.levelno for r in caplog.records] == [logging.DEBUG]
    assert "not running yet" in caplog.records[0].getMessage()


def test_a_peer_that_runs_but_cannot_be_read_is_a_warning(caplog):
    with caplog.at_level(logging.DEBUG, logger="services.backbone.messaging.gap_filler"):
        catch_up(TimeoutError("no answer in 10 s"))
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    assert "funding's log could not be read at start" in record.getMessage()


def test_the_ready_line_names_whose_events_a_service_follows():
    assert _consuming("funding") == " (follows the events of registry, evaluation)"
    assert _consuming("console") == ""
