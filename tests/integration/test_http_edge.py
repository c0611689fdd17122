"""What a service's HTTP edge refuses before any handler acts on it, each with a JSON
answer that says why: bodies nested too deep, keys given twice, bodies that are not
JSON, headers and request lines the server cannot read, tokens whose claims have the
wrong shape."""

import json
import socket
import time
from datetime import datetime, timedelta, timezone
from uuid import uuid4

import jwt
import pytest
import requests

from services.backbone.web.tokens import ALGORITHM, AUDIENCE


@pytest.fixture
def evaluation(platform):
    platform.start("evaluation")
    return platform


def batch(**changes) -> dict:
    now = datetime.now(timezone.utc)
    return {"name": f"第{uuid4().hex[:6]}批", "opens_at": (now - timedelta(days=1)).isoformat(),
            "closes_at": (now + timedelta(days=30)).isoformat(), "quota": 12, **changes}


def post_raw(platform, body: str, content_type: str | None = "application/json", **headers) -> requests.Response:
    headers = {**platform.headers("drc"), **headers}
    if content_type:
        headers["Content-Type"] = content_type
    return requests.post(platform.url("evaluation", "/batches"), data=body.encode(), headers=headers, timeout=10)


def raw_http(platform, request: bytes) -> tuple[int, dict, bytes]:
    """Sends bytes as they are (what requests would correct) and reads the answer."""
    with socket.create_connection(("127.0.0.1", platform.port("evaluation")), timeout=10) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


def test_a_body_nested_deeper_than_32_levels_is_refused_with_400_and_the_service_goes_on(evaluation):
    started = time.monotonic()
    deep = post_raw(evaluation, '{"x":' + "[" * 50000 + "]" * 50000 + "}")
    assert deep.status_code == 400 and "deeper than 32" in deep.json()["error"]["detail"], deep.text
    assert time.monotonic() - started < 2
    just_over = {"name": "x"}
    for _ in range(32):
        just_over = {"nested": just_over}
    assert post_raw(evaluation, json.dumps(just_over)).status_code == 400
    in_strings = batch(name="第一批" + "[{" * 20)  # brackets inside a string nest nothing
    assert post_raw(evaluation, json.dumps(in_strings)).status_code == 201
    assert requests.get(evaluation.url("evaluation", "/health"), timeout=2).status_code == 200


def test_a_key_given_twice_in_one_object_is_refused_naming_it(evaluation):
    body = json.dumps(batch(quota=999))[:-1] + ', "quota": 12}'  # the last one used to win silently
    twice = post_raw(evaluation, body)
    assert twice.status_code == 400, twice.text
    assert twice.json()["error"]["fields"] == {"quota": ["Given more than once in one object."]}
    assert requests.get(evaluation.url("evaluation", "/batches"), headers=evaluation.headers("drc"),
                        timeout=10).json()["batches"] == []


def test_a_body_that_is_not_json_is_refused_with_415_saying_what_is_expected(evaluation):
    body = json.dumps(batch())
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        refused = post_raw(evaluation, body, content_type)
        assert refused.status_code == 415, (content_type, refused.text)
        error = refused.json()["error"]
        assert error["code"] == "unsupported_media_type" and "application/json" in error["detail"]
        assert error["fields"] == {"Content-Type": ["Expected application/json."]}
    assert post_raw(evaluation, body, "application/json; charset=utf-8").status_code == 201
    unauthenticated = requests.post(evaluation.url("evaluation", "/batches"), data=body,
                                    headers={"Content-Type": "text/plain"}, timeout=10)
    assert unauthenticated.status_code == 401  # who asks comes first


@pytest.mark.parametrize("size, status", [(100_000, 431), (9_000, 431), (7_000, 401)])
def test_a_bearer_token_too_long_to_read_is_answered_in_json(evaluation, size, status):
    answer = requests.get(evaluation.url("evaluation", "/batches"), timeout=10,
                          headers={"Authorization": "Bearer " + "a" * size})
    assert answer.status_code == status
    assert answer.headers["Content-Type"].startswith("application/json")
    assert answer.json()["error"]["message"]


def test_requests_the_server_cannot_read_are_answered_in_json(evaluation):
    long_line = raw_http(evaluation, b"GET /batches?x=" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    bad_length = raw_http(evaluation, b"POST /batches HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n")
    malformed = raw_http(evaluation, b"GET /batches HTTP/9\r\nHost: x\r\n\r\n")
    for (status, headers, body), expected in ((long_line, 414), (bad_length, 400), (malformed, 400)):
        assert status == expected, (status, body)
        assert headers["content-type"] == "application/json"
        assert json.loads(body)["error"]["message"], body
    assert requests.get(evaluation.url("evaluation", "/health"), timeout=2).status_code == 200


def test_a_token_whose_claim_has_the_wrong_shape_is_401_naming_the_claim(evaluation):
    now, issuer = int(time.time()), evaluation.issuer
    claims = {"iss": issuer.name, "aud": AUDIENCE, "sub": str(uuid4()), "jti": str(uuid4()), "role": "drc",
              "name": "省发展改革委", "iat": now, "exp": now + 3600, "bases": "not a list"}
    token = jwt.encode(claims, issuer.private_key, algorithm=ALGORITHM, headers={"kid": issuer.key_id})
    answer = requests.get(evaluation.url("evaluation", "/batches"), headers={"Authorization": f"Bearer {token}"},
                          timeout=10)
    assert answer.status_code == 401
    assert "'bases' claim" in answer.json()["error"]["detail"]
