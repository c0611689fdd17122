"""The timer that runs a service's deadline clock, every
``evaluation.deadline_check_seconds`` (one interval for the platform: the setting was
evaluation's first, for public notices)."""

from nameko.timer import Timer


class DeadlineTimer(Timer):
    """nameko's timer at the platform's deadline interval."""

    def __init__(self, **kwargs):
        super().__init__(interval=3600, **kwargs)

    def setup(self):
        self.interval = self.container.config["PLATFORM"].evaluation.deadline_check_seconds
