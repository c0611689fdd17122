"""Failpoints fire where and when a test says, once armed, and say that they did."""

import pytest

from services.backbone import failpoints


@pytest.fixture(autouse=True)
def disarmed():
    failpoints.disarm_all()
    yield
    failpoints.disarm_all()


def test_an_unarmed_point_does_nothing():
    assert failpoints.hit("consumer.after_commit") is None
    assert failpoints.fired("consumer.after_commit") == 0


def test_an_armed_point_fires_as_many_times_as_armed_after_the_hits_it_lets_pass(capsys):
    failpoints.arm("http.after_commit", "drop-connection", times=2, after=1)
    hits = [failpoints.hit("http.after_commit") for _ in range(4)]
    assert hits == [None, "drop-connection", "drop-connection", None]
    assert failpoints.fired("http.after_commit") == 2
    assert capsys.readouterr().err.count("failpoint http.after_commit: drop-connection") == 2


def test_the_environment_arms_a_point_for_its_nth_hit(monkeypatch):
    monkeypatch.setenv("SC_FAILPOINTS", "consumer.after_commit=drop@3, relay.after_publish=raise")
    failpoints._from_environment()
    assert [failpoints.hit("consumer.after_commit") for _ in range(4)] == [None, None, "drop", None]
    with pytest.raises(RuntimeError, match="relay.after_publish"):
        failpoints.hit("relay.after_publish")
    with pytest.raises(RuntimeError):  # without @N: every time
        failpoints.hit("relay.after_publish")
