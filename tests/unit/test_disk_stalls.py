"""The benchmark's disk-stall detector: a stall is requests waiting and none completing."""

from bench.disk import Sample, stalls, summary


def readings(*steps: tuple[int, int], every: float = 0.01) -> list[Sample]:
    """Samples ``every`` seconds apart; each step is (completed since the last, in flight)."""
    samples, completed = [], 0
    for number, (done, in_flight) in enumerate(steps):
        completed += done
        samples.append(Sample(number * every, completed, in_flight))
    return samples


def test_a_disk_that_keeps_completing_has_no_stall():
    assert stalls(readings(*[(3, 2)] * 100)) == []


def test_requests_waiting_with_none_completing_are_a_stall_from_the_last_completion_to_the_next():
    held = stalls(readings((3, 1), (3, 1), *[(0, 4)] * 20, (5, 0), (3, 1)))
    assert len(held) == 1
    assert abs(held[0] - 210.0) < 1e-6  # from the reading at 10 ms to the one at 220 ms


def test_an_idle_disk_is_not_stalled():
    assert stalls(readings((3, 0), *[(0, 0)] * 50, (1, 0))) == []


def test_pauses_shorter_than_the_threshold_are_ordinary_queueing():
    steps = [(2, 1), *[(0, 3)] * 3, (2, 1)] * 10  # 40 ms pauses
    assert stalls(readings(*steps)) == []
    assert len(stalls(readings(*steps), min_ms=30)) == 10


def test_a_stall_still_going_when_the_watch_ends_counts():
    held = stalls(readings((1, 1), *[(0, 2)] * 10))
    assert held == [100.0]


def test_summary_counts_the_longest_and_the_total():
    samples = readings((1, 1), *[(0, 2)] * 6, (1, 1), *[(0, 2)] * 12, (1, 0))
    assert summary(samples) == {"disk_stalls": 2, "disk_stall_longest_ms": 130.0,
                                "disk_stalled_ms": 200.0, "disk_watched_s": 0.2}
