"""A loop that runs beside the service's EventStore for as long as the service runs:
the delivery sender and the backfill runner are two. The loop object is plain (it has
``run_forever``, ``stop`` and ``running``); this is only its nameko harness."""

import eventlet
from nameko.extensions import DependencyProvider

from services.backbone.dependencies import EventStore


class BackgroundLoop(DependencyProvider):
    """Starts ``build(app)``'s loop in a managed thread at start, stops it at stop.
    Its entrypoints get the loop (None before start)."""

    identifier = "background-loop"
    stop_timeout = 10

    def setup(self):
        self.loop = None
        self._thread = None

    def build(self, app):
        raise NotImplementedError

    def start(self):
        app = self._store().app
        self.loop = self.build(app)
        app.on_save(self.loop.wake)
        self._thread = self.container.spawn_managed_thread(self.loop.run_forever,
                                                           identifier=self.identifier)

    def stop(self):
        if self.loop is not None:
            self.loop.stop()
        if self._thread is not None:
            with eventlet.Timeout(self.stop_timeout, False):
                self._thread.wait()

    def kill(self):
        if self.loop is not None:
            self.loop.stop()

    def get_dependency(self, worker_ctx):
        return self.loop

    def _store(self) -> EventStore:
        for dependency in self.container.dependencies:
            if isinstance(dependency, EventStore):
                return dependency
        raise RuntimeError(f"{self.container.service_name}'s {type(self).__name__} needs an EventStore")
