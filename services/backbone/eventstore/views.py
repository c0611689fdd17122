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
        from services.backbone.eventstore.audit import jsonable

        return jsonable({k: v for k, v in vars(self).items() if not k.startswith("_")})


class ViewFollower:
    """Keeps a service's views up to date with its log."""

    page_size = 1000
    ahead_limit = 1000  # recordings kept waiting for an earlier position; past it, read the log

    def __init__(self, app, views: Iterable[View]):
        self.app = app
        self.views = list(views)
        self.position = 0
        self._lock = threading.RLock()
        self._ahead: dict[int, object] = {}  # position -> domain event, committed past a gap

    def catch_up(self, progress=None) -> int:
        """Applies every event committed since the last call; returns the position.
        The log is read outside the views' lock, which writers take to apply their own
        events, so reads and writes do not wait in turn; what was applied meanwhile is
        skipped."""
        if not self.views:
            return self.position
        with collector_paused():  # for the whole fold, not page by page: see collector_paused
            return self._catch_up(progress)

    def _catch_up(self, progress) -> int:
        while True:
            page = self.app.recorder.select_notifications(
                start=self.position, limit=self.page_size, inclusive_of_start=False
            )
            if not page:
                return self.position
            with self._lock:
                for notification in page:
                    if notification.id <= self.position:
                        continue  # applied meanwhile (followed, or another catch-up)
                    event = self._ahead.pop(notification.id, None)
                    if event is None:
                        event = self.app.mapper.to_domain_event(notification)
                    for view in self.views:
                        view.apply(event)
                    self.position = notification.id
                self._drop_behind()
            if progress is not None:
                progress.advance(len(page))

    def follow(self, recordings) -> None:
        """Applies events just committed by this process without reading them back, in
        log order: one that arrives ahead of an earlier commit waits here (up to
        ``ahead_limit``); a position that never arrives is left to ``catch_up``."""
        if not self.views or not recordings:
            return
        with self._lock:
            for recording in recordings:
                if recording.notification.id > self.position:
                    self._ahead[recording.notification.id] = recording.domain_event
            while self.position + 1 in self._ahead:
                event = self._ahead.pop(self.position + 1)
                for view in self.views:
                    view.apply(event)
                self.position += 1
            if len(self._ahead) > self.ahead_limit:
                self._ahead.clear()  # catch_up reads them from the log

    def _drop_behind(self) -> None:
        for position in [p for p in self._ahead if p <= self.position]:
            del self._ahead[position]

    def forget(self) -> None:
        """Empties every view, to be folded again from position 0."""
        with self._lock:
            for view in self.views:
                view.reset()
            self.position = 0
            self._ahead.clear()

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
    """Python's cyclic garbage collector off while events are folded into the views: a
    fold keeps what it allocates and makes no cycles, so a collection would only scan
    everything built so far. Reference counting still frees what is dropped."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
