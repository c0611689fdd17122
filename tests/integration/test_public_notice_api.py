"""Public notice (公示) over HTTP with the real broker: the public page and the public
objection need no token, bad input is 400 naming the field, an address is limited,
the DRC alone reads who objected, and the service's timer concludes the notice at the
end of its period."""

from datetime import datetime, timedelta
from uuid import uuid4

import requests

from tests.integration.test_evaluation_api import certified_base
from tests.support.evaluation_http import Client
from tests.support.platform import wait_until

OBJECTOR = {"name": "王某", "contact": "wang@example.cn"}



def test_a_revocation_notice_from_publication_to_conclusion_over_http(platform, registry_log):
    platform.config["evaluation"]["deadline_check_seconds"] = 0.2
    platform.start("evaluation")
    client = Client(platform)
    base_id = certified_base(platform, registry_log, uuid4())
    notice = client("POST", "/notices", {"title": "拟撤销省级双创示范基地名单公示",
                                         "purpose": "revocation", "base_ids": [base_id],
                                         "working_days": 5, "contact": "省发展改革委 0351-3046000"},
                    expect=201)
    path = f"/notices/{notice['notice_id']}"

    public = client("GET", "/notices/current", headers={})["notices"]
    assert [n["notice_id"] for n in public] == [notice["notice_id"]]
    bad = client("POST", f"{path}/objections", {"base_id": base_id, "text": "异议"}, headers={},
                 expect=400)
    assert "objector" in bad["error"]["fields"]
    lodged = client("POST", f"{path}/objections", {"base_id": base_id, "objector": OBJECTOR,
                                                   "text": "该基地已完成整改"}, headers={}, expect=201)
    url = platform.url("evaluation", f"{path}/objections")
    answers = [requests.post(url, json={"base_id": base_id, "objector": OBJECTOR, "text": "同上"}).status_code
               for _ in range(5)]
    assert answers.count(429) >= 1 and set(answers) <= {201, 429}  # 5 per address in 10 minutes
    assert OBJECTOR["contact"] not in str(client("GET", "/notices/current", headers={}))

    client("GET", path, headers=platform.headers("department"), expect=403)
    for objection in client("GET", path)["objections"]:
        upheld = objection["objection_id"] == lodged["objection_id"]
        answered = client("POST", f"{path}/objections/{objection['objection_id']}/answer",
                          {"upheld": upheld, "reasons": "经核查"}, expect=201)
    assert answered["objections"][0]["objector"] == OBJECTOR

    ends_at = datetime.fromisoformat(notice["ends_at"])
    platform.app("evaluation").clock = lambda: ends_at + timedelta(seconds=1)
    concluded = wait_until(lambda: (n := client("GET", path))["concluded_at"] and n,
                           message="the timer to conclude the notice")
    assert [w["base_id"] for w in concluded["withdrawn"]] == [base_id]
    assert client("GET", f"/bases/{base_id}")["status"] == "certified"  # the objection stood
