"""How deep a request body nests is judged without parsing it, and brackets inside
strings do not count."""

import json

from services.backbone.web.inputs import MAX_DEPTH, nests_too_deep


def nested(levels: int) -> str:
    body = {"name": "山西大学"}
    for _ in range(levels - 1):
        body = {"nested": body}
    return json.dumps(body, ensure_ascii=False)


def test_a_body_nests_too_deep_only_past_the_limit():
    assert not nests_too_deep(nested(MAX_DEPTH))
    assert nests_too_deep(nested(MAX_DEPTH + 1))
    assert nests_too_deep('{"x": ' + "[" * 50000 + "]" * 50000 + "}")


def test_brackets_inside_strings_and_escaped_quotes_do_not_nest():
    assert not nests_too_deep(json.dumps({"name": "[{" * 100, "note": '\\"[[' * 50, "list": [[1], [2]] * 20}))
    assert not nests_too_deep('"' + "[" * 100)  # a string never closed: not JSON, and not deep
