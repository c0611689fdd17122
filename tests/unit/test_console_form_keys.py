"""A console form that writes at a service carries a key made when it was rendered, and
its POST sends it as the service's Idempotency-Key (console/api.py): a reload that posts
the same rendered form again is the same key, a form rendered again is a new one."""

import re

from services.console.api import FORM_KEY_FIELD, ServiceApi
from services.console.rendering import render

LETTER = {"service": "registry", "original_queue": "evaluation.inbox.registry", "error": "boom",
          "dead_lettered_at": None, "attempts": 3, "message_id": "m-1", "body": "{}", "queue": "registry.dlq"}


def rendered_keys() -> list[str]:
    html = render("fragments/ops_dead_letters.html", dead_letters=[LETTER], dead_letter_errors=[],
                  csrf_token="c")
    return re.findall(rf'name="{FORM_KEY_FIELD}" value="([^"]+)"', html)


class Recorder:
    """An HTTP session that records what it was asked to send."""

    def __init__(self):
        self.sent = []

    def request(self, method, url, headers, timeout, **kwargs):
        self.sent.append(headers)
        return type("Answer", (), {"status_code": 200, "content": b"", "json": lambda self: None})()


def test_each_rendered_form_carries_a_key_of_its_own_and_a_new_rendering_a_new_one():
    first, again = rendered_keys(), rendered_keys()
    assert len(first) == 2 and len(set(first)) == 2  # replay and discard: two forms
    assert not set(first) & set(again)


def test_the_forms_key_is_sent_as_the_services_idempotency_key():
    key = rendered_keys()[0]
    session = Recorder()
    api = ServiceApi({"registry": "http://registry"}, "token", timeout=1, http=session)
    form = {FORM_KEY_FIELD: key, "queue": "registry.dlq"}
    api.post("registry", "/ops/dead-letters/replay", {}, form=form)
    api.post("registry", "/ops/dead-letters/replay", {}, form=form)  # the reload after POST
    api.post("registry", "/ops/dead-letters/replay", {})  # no form: no key
    assert [sent.get("Idempotency-Key") for sent in session.sent] == [key, key, None]
