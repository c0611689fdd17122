"""Keeps an event that kills its consumer's process from killing it at every restart.

A reaction that raises is counted in memory and, after ``consumer.max_attempts``, its
event is parked. A process that dies while applying an event (the kernel's OOM killer,
a fault in a C extension) counts nothing, and the event comes back after every
restart: from the queue, and from the catch-up at start, which pulls it from the source
over RPC whatever the broker's delivery limit did with the message. So a consumer writes
down, in its own store, the positions it is about to apply in the first transaction of
each process life, and crosses them off after; found still written down at the next
start, they are where the last process died. That range is then applied one event at a
time, each written down, until the dying event is known; after ``max_attempts`` starts
that died on it, it is parked instead of applied.

Two small writes per process start in the ordinary case. Events applied later in the
life of a process are not written down: if one of them kills it, it is the first thing
the next process applies (everything before it was committed), and so it is caught then.
"""

from dataclasses import dataclass

from services.backbone.eventstore.stores import side_table


@dataclass
class InFlight:
    first: int
    last: int
    deaths: int  # starts that found this very single position in flight


class CrashGuard:
    """The positions of one source in flight in this service, in a small table."""

    def __init__(self, app, source: str):
        self.app = app
        self.source = source
        self.table, self._ph = side_table(
            app, "consumer_guard", "source TEXT PRIMARY KEY, first BIGINT NOT NULL, "
            "last BIGINT NOT NULL, in_flight BOOLEAN NOT NULL, deaths INTEGER NOT NULL")
        self.found = self._read()  # what the previous process left in flight, if anything
        self.careful_until = self.found.last if self.found else 0
        self._guard_next = True  # the first transaction of this process life

    def _read(self) -> InFlight | None:
        with self.app.recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(f"SELECT first, last, in_flight, deaths FROM {self.table} "
                           f"WHERE source = {self._ph}", (self.source,))
            row = cursor.fetchone()
        if row is None or not row["in_flight"]:
            return None
        single = row["first"] == row["last"]
        return InFlight(row["first"], row["last"], row["deaths"] + 1 if single else 0)

    def needed(self, first: int) -> bool:
        """Whether a transaction starting at ``first`` must be written down first: the
        first of this process, or one inside the range a process died in (those are
        applied one at a time, so runs are refused there)."""
        return self._guard_next or first <= self.careful_until

    def deaths(self, position: int) -> int:
        """How many starts found the process dead applying exactly this position."""
        found = self.found
        return found.deaths if found and found.first == found.last == position else 0

    def begin(self, first: int, last: int) -> None:
        self._write(first, last, True, self.deaths(first) if first == last else 0)

    def end(self, first: int, last: int) -> None:
        """The transaction finished, whatever its outcome: the process did not die in it."""
        self._guard_next = False
        self._write(first, last, False, 0)

    def _write(self, first: int, last: int, in_flight: bool, deaths: int) -> None:
        with self.app.recorder.datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"INSERT INTO {self.table} (source, first, last, in_flight, deaths) "
                f"VALUES ({', '.join([self._ph] * 5)}) ON CONFLICT (source) DO UPDATE SET "
                "first = excluded.first, last = excluded.last, in_flight = excluded.in_flight, "
                "deaths = excluded.deaths",
                (self.source, first, last, in_flight, deaths),
            )
