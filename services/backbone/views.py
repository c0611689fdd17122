"""Read models folded from a service's own log.

A ``View`` is plain state plus ``apply(event)``; it never writes. The follower feeds it
every event of the log in order and remembers the position, and catches up before each
query, so a read sees everything committed before it began, whichever instance wrote
it. Rebuilding a view is folding the log again from position 0.
"""

import gc
import hashlib
import json
import threading
from contextlib import contextmanager
from typing import Iterable


class View:
    """A read model. Subclasses implement ``apply`` and may override ``reset``."""

    def reset(self) -> None:
        """Forgets everything (before a rebuild)."""

    def apply(self, event) -> None:
        raise NotImplementedError

    def state(self):
        """The view's content as plain JSON data (to compare a rebuild with the live view)."""
        from .audit import jsonable

        return jsonable({k: v for k, v in vars(self).items() if not k.startswith("_")})


class ViewFollower:
    """Keeps a service's views up to date with its log."""

    page_size = 1000

    def __init__(self, app, views: Iterable[View]):
        self.app = app
        self.views = list(views)
        self.position = 0
        self._lock = threading.RLock()

    def catch_up(self, progress=None) -> int:
        """Applies every event committed since the last call; returns the position."""
        if not self.views:
            return self.position
        with self._lock, collector_paused():
            while True:
                page = self.app.recorder.select_notifications(
                    start=self.position, limit=self.page_size, inclusive_of_start=False
                )
                if not page:
                    return self.position
                for notification in page:
                    event = self.app.mapper.to_domain_event(notification)
                    for view in self.views:
                        view.apply(event)
                    self.position = notification.id
                if progress is not None:
                    progress.advance(len(page))

    def follow(self, recordings) -> None:
        """Applies events just committed by this process without reading them back.

        Decoding the log again was most of what a busy service spent on its reads: the
        sender, for one, asks its board what is due after every commit. The recordings
        carry the domain events as saved, so when they are exactly the next positions
        of the log they are applied as they are. Anything else (another writer came in
        between, a position was skipped, a commit listener ran out of order) is left to
        ``catch_up``, which reads the log and applies every position once either way."""
        if not self.views or not recordings:
            return
        with self._lock:
            expected = self.position + 1
            for offset, recording in enumerate(recordings):
                if recording.notification.id != expected + offset:
                    return
            for recording in recordings:
                for view in self.views:
                    view.apply(recording.domain_event)
                self.position = recording.notification.id

    def forget(self) -> None:
        """Empties every view, to be folded again from position 0."""
        with self._lock:
            for view in self.views:
                view.reset()
            self.position = 0

    def rebuild(self, progress=None) -> int:
        """Forgets all views and folds the whole log again."""
        with self._lock:
            self.forget()
            return self.catch_up(progress)

    def digest(self) -> dict:
        """A hash of each view's content at the current position."""
        self.catch_up()
        with self._lock:
            return {
                "position": self.position,
                "views": {type(view).__name__: hashlib.sha256(json.dumps(
                    view.state(), sort_keys=True, ensure_ascii=False).encode()).hexdigest()
                          for view in self.views},
            }

    def __getitem__(self, view_type: type) -> View:
        """The caught-up view of the given class."""
        return self.caught_up(view_type)[0]

    def caught_up(self, *view_types: type) -> tuple:
        """The views of the given classes, caught up together (one read of the log)."""
        self.catch_up()
        found = []
        for view_type in view_types:
            found.append(next((view for view in self.views if isinstance(view, view_type)), None))
            if found[-1] is None:
                raise KeyError(view_type)
        return tuple(found)


@contextmanager
def collector_paused():
    """Python's cyclic garbage collector off while events are folded into the views.

    A fold allocates objects by the million and keeps them (the views' rows), so every
    full collection during a rebuild scanned everything built so far, for nothing: a
    fold makes no cycles to reclaim. That was a fifth of a rebuild's time (a service's
    first query folds its whole log too). Reference counting still frees what is dropped;
    the collector resumes as it was afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
