"""A service's log read from a position costs one page of it, whatever the position."""

from eventsourcing.domain import Aggregate, event

from services.backbone.eventstore.application import ServiceApplication


class Note(Aggregate):
    """An internal aggregate: its events are never published."""

    @event("Written")
    def __init__(self, text: str):
        self.text = text


class Internal(ServiceApplication):
    name = "internal"


def counting_reads(app) -> list[int]:
    """The number of log records each read of the log returned."""
    reads, select = [], app.recorder.select_notifications

    def counted(*args, **kwargs):
        page = select(*args, **kwargs)
        reads.append(len(page))
        return page

    app.recorder.select_notifications = counted
    return reads


def test_a_log_that_publishes_nothing_is_read_one_page_from_any_position():
    app = Internal()
    app.save(*(Note(text=str(number)) for number in range(1000)))
    reads = counting_reads(app)
    for after in (0, 500, 999, 1000, 2**63 - 1):
        assert app.published_after(after, 200) == ([], min(after + 200, 1000) if after < 1000 else after)
    assert max(reads) <= 200 and len(reads) <= 3, reads  # one page per read below the head
