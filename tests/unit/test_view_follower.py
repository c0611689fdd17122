"""The read models follow the service's own commits without reading them back, also when
concurrent commands' listeners run out of order, and read the log for what never comes."""

from types import SimpleNamespace

from services.backbone.eventstore.views import View, ViewFollower


class Seen(View):
    def __init__(self):
        self.events = []

    def reset(self):
        self.events = []

    def apply(self, event):
        self.events.append(event)


class Log:
    """A log whose reads are counted; each notification's event is its position's name."""

    def __init__(self):
        self.notifications, self.decoded = [], 0
        self.recorder = SimpleNamespace(select_notifications=self.select)
        self.mapper = SimpleNamespace(to_domain_event=self.decode)

    def commit(self, position):
        self.notifications.append(SimpleNamespace(id=position))
        return [SimpleNamespace(notification=SimpleNamespace(id=position), domain_event=f"e{position}")]

    def select(self, start, limit, inclusive_of_start):
        return [n for n in self.notifications if n.id > start][:limit]

    def decode(self, notification):
        self.decoded += 1
        return f"e{notification.id}"


def test_a_commit_whose_listener_runs_before_an_earlier_ones_waits_for_it_and_nothing_is_read_back():
    log, seen = Log(), Seen()
    follower = ViewFollower(log, [seen])
    first, second, third = log.commit(1), log.commit(2), log.commit(3)
    follower.follow(second)  # committed second, heard of first
    follower.follow(third)
    assert seen.events == [] and follower.position == 0
    follower.follow(first)
    assert seen.events == ["e1", "e2", "e3"] and follower.position == 3
    assert follower.catch_up() == 3 and log.decoded == 0  # nothing left to read


def test_a_position_that_never_comes_is_read_from_the_log_and_what_waits_is_not_decoded_again():
    log, seen = Log(), Seen()
    follower = ViewFollower(log, [seen])
    log.commit(1)  # another writer's: this process hears nothing of it
    second = log.commit(2)
    follower.follow(second)
    assert seen.events == []
    assert follower.catch_up() == 2
    assert seen.events == ["e1", "e2"] and log.decoded == 1  # e2 was waiting here
    follower.follow(second)  # a listener late with what catch_up applied already
    assert seen.events == ["e1", "e2"]
