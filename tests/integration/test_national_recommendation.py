"""The national recommendation over HTTP with the real broker (issue 27 §3): a call on
the latest round's 优秀, candidates chosen with reasons, the public notice concluded by
the service's timer, the submission and the outcome; each step published once, and
the base's provincial status left as it was."""

from collections import Counter
from datetime import datetime, timedelta
from uuid import uuid4


from services.evaluation.policy import BEIJING
from tests.integration.test_evaluation_api import certified_base, closed_round
from tests.support.evaluation_http import Client
from tests.support.platform import wait_until

STEPS = ("NationalCallOpened", "NationalCandidatesChosen", "NationalRecommendationSubmitted",
         "NationalOutcomeRecorded")



def test_a_call_from_opening_to_its_outcome_over_http(platform, registry_log):
    platform.config["evaluation"]["deadline_check_seconds"] = 0.2
    platform.start("evaluation")
    client = Client(platform)
    base_id = certified_base(platform, registry_log, uuid4())
    _, graded = closed_round(client, base_id, "95")
    assert graded["grade"] == "excellent"

    bad = client("POST", "/national-calls", {"year": "2026", "quota": 1}, expect=400)
    assert "year" in bad["error"]["fields"]
    client("POST", "/national-calls", {"year": 2026, "quota": 1},
           headers=platform.headers("department"), expect=403)
    call = client("POST", "/national-calls", {"year": 2026, "quota": 1}, expect=201)
    assert [row["base_id"] for row in call["eligible"]] == [base_id]
    path = f"/national-calls/{call['call_id']}"
    client("POST", f"{path}/candidates", {"candidates": [{"base_id": str(uuid4()), "reason": "x"}]},
           expect=422)
    client("POST", f"{path}/candidates", {"candidates": [{"base_id": base_id, "reason": "成果转化突出"}]},
           expect=201)
    assert client("GET", f"/bases/{base_id}")["national"]["status"] == "candidate"
    noticed = client("POST", f"{path}/notice", {"title": "2026年拟推荐国家级双创示范基地名单公示",
                                                "contact": "省发展改革委 0351-3046000"}, expect=201)
    notice = client("GET", f"/notices/{noticed['notice_id']}")
    assert notice["purpose"] == "national_recommendation"

    ends_at = datetime.fromisoformat(notice["ends_at"])
    platform.app("evaluation").clock = lambda: ends_at + timedelta(seconds=1)
    wait_until(lambda: client("GET", path)["stage"] == "noticed",
               message="the timer to conclude the call's notice")
    day = (ends_at + timedelta(seconds=1)).astimezone(BEIJING).date().isoformat()
    client("POST", f"{path}/submission", {"document_number": "晋发改创新发〔2026〕88号",
                                          "submitted_on": day}, expect=201)
    client("POST", f"{path}/outcomes", {"base_id": base_id, "selected": True, "effective_on": day,
                                        "reason": "入选国家级双创示范基地"}, expect=422)  # no 文号
    done = client("POST", f"{path}/outcomes", {"base_id": base_id, "selected": True,
                                               "document_number": "发改高技〔2026〕1254号",
                                               "effective_on": day, "reason": "入选"}, expect=201)
    assert done["outcomes"][0]["selected"] is True

    base = client("GET", f"/bases/{base_id}")
    assert base["national"] == {"status": "selected", "call_id": call["call_id"],
                                "document_number": "发改高技〔2026〕1254号", "effective_on": day}
    assert base["status"] == graded["to_status"]  # the national process left the status alone
    published, _ = platform.app("evaluation").published_after(0, 1000)
    counted = Counter(event.type for event in published)
    assert [counted[step] for step in STEPS] == [1, 1, 1, 1]
    assert counted["NoticeConcluded"] == 1 and counted["BaseAdjusted"] == 2  # certified, graded
