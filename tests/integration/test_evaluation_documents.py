"""Evaluation's documents over HTTP: the DRC attaches a certification's document to
its decision; the base's applicant reads it; a funding clerk does not."""

from uuid import uuid4

import requests

from tests.integration.test_evaluation_api import certified_base
from tests.support import documents as samples


def test_a_decisions_document_is_attached_by_the_drc_and_read_by_the_base(platform, registry_log):  # noqa: F811
    platform.start("evaluation")
    applicant_id = uuid4()
    base_id = certified_base(platform, registry_log, applicant_id)
    documents = platform.url("evaluation", f"/bases/{base_id}/documents")
    sent = requests.post(documents, headers=platform.headers("drc"),
                         data={"kind": "decision_document", "attached_to": "decision", "decision": "1"},
                         files={"file": ("晋发改〔2017〕认定文件.ofd", samples.OFD)})
    assert sent.status_code == 201, sent.text
    assert (sent.json()["media_type"], sent.json()["attached_to"]) == ("application/ofd", {"on": "decision", "decision": 1})
    url = f"{documents}/{sent.json()['document_id']}"
    applicant = platform.headers("applicant", actor_id=applicant_id)
    assert requests.get(url, headers=applicant).content == samples.OFD
    assert requests.get(url, headers=platform.headers("funding_office")).status_code == 403
