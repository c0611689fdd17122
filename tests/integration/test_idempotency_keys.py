"""Idempotency-Key on the services' own routes (web/idempotent.py), through real
services: a retried declaration or score writes once and answers as the first time,
also after the service restarts; a key reused for another body is a 409 naming it; two
requests with one key at once write once."""

import threading
from concurrent.futures import ThreadPoolExecutor
from uuid import UUID, uuid4

import requests

from tests.integration.conftest import open_batch
from tests.support.evaluation_http import SHEET, Client, open_batch as open_evaluation_batch
from tests.integration.test_evaluation_api import declare
from tests.support.fixtures import declaration



def post(platform, service, path, body, headers, key):
    return requests.post(platform.url(service, path), json=body,
                         headers={**headers, "Idempotency-Key": key}, timeout=30)


def declared_count(platform) -> int:
    return requests.get(platform.url("registry", "/bases"), headers=platform.headers("drc")).json()["count"]


def test_a_declaration_sent_twice_with_one_key_is_written_once_and_answered_alike(platform, evaluation_log):
    platform.start("registry")
    body, applicant = declaration(open_batch(platform, evaluation_log)), platform.applicant()
    first = post(platform, "registry", "/bases", body, applicant, "form-1")
    again = post(platform, "registry", "/bases", body, applicant, "form-1")
    assert first.status_code == again.status_code == 201, again.text
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true" and "Idempotent-Replayed" not in first.headers
    assert declared_count(platform) == 1

    other = post(platform, "registry", "/bases", {**body, "name": "太原理工大学"}, applicant, "form-1")
    assert other.status_code == 409
    error = other.json()["error"]
    assert error["code"] == "idempotency_key_reused" and "Idempotency-Key" in error["fields"]
    assert "幂等键" in error["message"]
    assert declared_count(platform) == 1


def test_a_key_still_replays_after_the_service_restarts(platform, evaluation_log):
    platform.start("registry")
    body, applicant = declaration(open_batch(platform, evaluation_log)), platform.applicant()
    first = post(platform, "registry", "/bases", body, applicant, "reload-after-post")
    platform.stop("registry")
    platform.start("registry")
    again = post(platform, "registry", "/bases", body, applicant, "reload-after-post")
    assert (again.status_code, again.headers.get("Idempotent-Replayed")) == (201, "true"), again.text
    assert again.json() == first.json()
    assert declared_count(platform) == 1


def test_two_declarations_at_once_with_one_key_write_once_and_both_get_its_answer(platform, evaluation_log):
    platform.start("registry")
    body, applicant = declaration(open_batch(platform, evaluation_log)), platform.applicant()
    answers = at_once(lambda: post(platform, "registry", "/bases", body, applicant, "double-click"))
    # Without the key, the second would be the duplicate declaration's 409.
    assert [a.status_code for a in answers] == [201, 201], [a.text for a in answers]
    assert answers[0].json() == answers[1].json()
    assert sorted(a.headers.get("Idempotent-Replayed", "") for a in answers) == ["", "true"]
    assert declared_count(platform) == 1


def score_sheet(platform, registry_log) -> tuple[dict, dict]:
    """An evaluator assigned to a declared base: its headers, and a sheet to send."""
    client = Client(platform)
    batch_id = open_evaluation_batch(client)
    base_id = declare(platform, registry_log, batch_id, uuid4())
    evaluator = client("POST", "/evaluators", {"name": "王教授", "organisation": "专家库",
                                               "region": {"city": "大同市", "county": "平城区"}},
                       expect=201)["evaluator_id"]
    occasion = {"batch_id": batch_id, "base_id": base_id}
    client("POST", "/assignments", {**occasion, "evaluator_id": evaluator}, expect=201)
    expert = platform.headers("evaluator", name="王教授", actor_id=UUID(evaluator))
    return expert, {**occasion, "scores": SHEET}


def scored_events(platform) -> int:
    notifications = platform.app("evaluation").recorder.select_notifications(1, 10_000)
    return sum(n.topic.endswith(".Scored") for n in notifications)


def at_once(send, times: int = 2) -> list:
    """``send()`` from ``times`` threads released together (a double click)."""
    start = threading.Barrier(times)

    def released(_):
        start.wait()
        return send()

    with ThreadPoolExecutor(times) as pool:
        return list(pool.map(released, range(times)))


def test_a_score_sent_twice_with_one_key_is_recorded_once_also_after_a_restart(platform, registry_log):
    platform.start("evaluation")
    expert, sheet = score_sheet(platform, registry_log)
    first = post(platform, "evaluation", "/scores", sheet, expert, "score-form-1")
    again = post(platform, "evaluation", "/scores", sheet, expert, "score-form-1")
    assert first.status_code == 201, first.text
    assert (again.status_code, again.headers.get("Idempotent-Replayed")) == (201, "true"), again.text
    assert again.json() == first.json()
    changed = post(platform, "evaluation", "/scores", {**sheet, "scores": {**SHEET, "talent_cultivation": "90"}},
                   expert, "score-form-1")
    assert changed.status_code == 409 and "Idempotency-Key" in changed.json()["error"]["fields"]
    platform.stop("evaluation")
    platform.start("evaluation")
    restarted = post(platform, "evaluation", "/scores", sheet, expert, "score-form-1")
    assert (restarted.status_code, restarted.headers.get("Idempotent-Replayed")) == (201, "true"), restarted.text
    assert scored_events(platform) == 1


def test_two_scores_at_once_with_one_key_are_recorded_once(platform, registry_log):
    platform.start("evaluation")
    expert, sheet = score_sheet(platform, registry_log)
    answers = at_once(lambda: post(platform, "evaluation", "/scores", sheet, expert, "double-click"))
    # Without the key, the second would be "already scored" (409).
    assert [a.status_code for a in answers] == [201, 201], [a.text for a in answers]
    assert answers[0].json() == answers[1].json()
    assert scored_events(platform) == 1
