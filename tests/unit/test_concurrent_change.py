"""A command that keeps losing the optimistic-concurrency race answers 409
``concurrent_change`` with ``Retry-After``: a client (the bulk importer among them) can
tell it from a duplicate's 409, which repeating never cures, and sends it again."""

import json

import pytest
from eventsourcing.persistence import IntegrityError

from services.backbone.eventstore.application import retry_on_conflict
from services.backbone.web.entrypoints import error_response
from services.backbone.kernel.errors import ConcurrentChange, Conflict, Unavailable
from services.registry import bulk_import


class Contended:
    conflict_attempts = 3

    def __init__(self, losses: int):
        self.losses, self.calls = losses, 0

    @retry_on_conflict
    def change(self):
        self.calls += 1
        if self.calls <= self.losses:
            raise IntegrityError("another writer got there first")
        return "written"


def test_losing_every_attempt_is_a_concurrent_change_after_as_many_attempts():
    command = Contended(losses=3)
    with pytest.raises(ConcurrentChange) as caught:
        command.change()
    assert command.calls == 3
    assert isinstance(caught.value, Conflict) and caught.value.status == 409


def test_winning_the_last_attempt_is_no_error():
    command = Contended(losses=2)
    assert command.change() == "written" and command.calls == 3


def answer(exc):
    response = error_response(exc)
    return response.status_code, response.headers.get("Retry-After"), json.loads(response.get_data())


def test_the_answer_says_to_retry_only_where_retrying_helps():
    status, retry_after, body = answer(ConcurrentChange("changed concurrently"))
    assert (status, retry_after, body["error"]["code"]) == (409, "1", "concurrent_change")
    status, retry_after, body = answer(Conflict("duplicate", fields={"name": ["declared already"]}))
    assert (status, retry_after, body["error"]["code"]) == (409, None, "conflict")
    status, retry_after, _ = answer(Unavailable("busy"))
    assert (status, retry_after) == (503, "1")


class Answer:
    def __init__(self, status_code, headers=None):
        self.status_code, self.headers = status_code, headers or {}


class Session:
    """Answers POSTs from a script, and counts them."""

    def __init__(self, *answers):
        self.answers, self.posts = list(answers), 0

    def post(self, url, **kwargs):
        self.posts += 1
        return self.answers.pop(0)


@pytest.fixture
def no_pause(monkeypatch):
    monkeypatch.setattr(bulk_import.time, "sleep", lambda seconds: None)


def test_the_importer_sends_again_what_it_is_told_to_retry(no_pause):
    session = Session(Answer(409, {"Retry-After": "1"}), Answer(503, {"Retry-After": "1"}), Answer(201))
    assert bulk_import._post(session, "http://registry/bases", {}, {}).status_code == 201
    assert session.posts == 3


def test_the_importer_takes_a_duplicate_as_the_answer(no_pause):
    session = Session(Answer(409), Answer(201))
    assert bulk_import._post(session, "http://registry/bases", {}, {}).status_code == 409
    assert session.posts == 1
