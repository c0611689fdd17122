"""The DRC's statistics over HTTP (issue 27 §4): the registry's ``/stats/bases``,
funding's ``/stats/funds`` and evaluation's ``/stats/annual``, filtered as the lists
are and ``as_of`` a day, counted from each service's log."""

from datetime import datetime, timedelta
from uuid import uuid4

import requests

from services.contracts.fields import BEIJING
from services.contracts.vocabulary import CONSTRUCTION_TASKS
from tests.integration.conftest import open_batch
from tests.integration.test_consumer_guarantees import adjustment, declare, registry_caught_up
from tests.integration.test_annual_self_evaluation import FIGURES, file_plan
from tests.integration.test_evaluation_api import certified_base
from tests.support.broker import UpstreamLog
from tests.support.evaluation_http import Client
from tests.support.funding import FundingUnderTest
from tests.support.platform import wait_until


def test_base_statistics_with_filters_and_as_of_a_day(platform, evaluation_log):
    platform.start("registry")
    batch_id = open_batch(platform, evaluation_log)
    xiaoyi = declare(platform, batch_id, name="孝义市", city="吕梁市", county="孝义市")
    declare(platform, batch_id, name="山西大学", kind="university", city="太原市", county="小店区")
    today = datetime.now(BEIJING).date()
    later = today + timedelta(days=3)
    evaluation_log.emit("BaseAdjusted", {**adjustment(xiaoyi["base_id"], "declared", "certified"),
                                         "effective_on": later.isoformat()})
    wait_until(registry_caught_up(platform, evaluation_log.position))

    def stats(**params):
        response = requests.get(platform.url("registry", "/stats/bases"), params=params,
                                headers=platform.headers("drc"))
        assert response.status_code == 200, response.text
        return response.json()

    now = stats()
    assert now["total"] == 2 and now["by_status"] == {"certified": 1, "declared": 1}
    assert now["by_city"] == {"吕梁市": 1, "太原市": 1} and now["as_of"] is None
    assert now["target"]["reached"] == 1 and now["target"]["bases"] == 30
    assert stats(city="太原市")["by_kind"] == {"university": 1}
    assert stats(status="certified", county="孝义市")["total"] == 1
    assert stats(batch_id=batch_id, year=today.year)["total"] == 2
    assert stats(year=today.year - 1)["total"] == 0
    before = stats(as_of=today.isoformat())  # the decision counts from a later day
    assert before["by_status"] == {"declared": 2} and before["target"]["reached"] == 0
    assert before["as_of"] == f"{today.isoformat()}T23:59:59.999999+08:00"
    assert stats(as_of=later.isoformat())["by_status"] == {"certified": 1, "declared": 1}
    assert stats(as_of="2016-12-31")["total"] == 0

    bad = requests.get(platform.url("registry", "/stats/bases"), params={"as_of": "yesterday",
                       "kind": "hospital"}, headers=platform.headers("drc"))
    assert bad.status_code == 400 and {"as_of", "kind"} <= set(bad.json()["error"]["fields"])


def test_funds_statistics_by_source_city_and_year_with_filters_and_as_of(platform):
    funding = FundingUnderTest(platform)
    envelope = funding.open_envelope(fund_source="special_fund")
    base_id = funding.eligible_base()
    assert funding.allocate(base_id, envelope["envelope_id"], amount="250000.50").status_code == 201
    yesterday = (datetime.now(BEIJING) - timedelta(days=1)).date()

    def stats(**params):
        response = requests.get(funding.url("/stats/funds"), params=params,
                                headers=platform.headers("drc"))
        assert response.status_code == 200, response.text
        return response.json()

    now = stats()
    assert now["totals"]["allocated"] == "250000.50"  # a string on the wire, to the fen
    assert now["by_source"]["special_fund"]["allocated"] == "250000.50"
    assert now["by_city"]["太原市"]["disbursed"] == "0.00" and list(now["by_year"]) == ["2017"]
    assert stats(city="大同市")["totals"]["allocated"] == "0.00"
    assert stats(year=2017, kind="university", fund_source="special_fund")["totals"] == now["totals"]
    assert stats(as_of=yesterday.isoformat())["by_source"] == {}
    assert requests.get(funding.url("/stats/funds"), headers=platform.headers("applicant")).status_code == 403


def test_annual_statistics_sum_the_reports_by_kind_and_city_with_filters_and_as_of(platform):
    platform.start("evaluation")
    registry_log = UpstreamLog(platform.config, "registry")
    try:
        client, applicant_id = Client(platform), uuid4()
        year = datetime.now(BEIJING).year
        base_id = certified_base(platform, registry_log, applicant_id)
        file_plan(platform, registry_log, base_id, year)
        report = {"year": year, "figures": FIGURES, "documents": [],
                  "narratives": {code: "年度建设任务完成情况" for code in CONSTRUCTION_TASKS["university"]}}
        client("POST", f"/bases/{base_id}/annual-reports", report,
               headers=platform.headers("applicant", actor_id=applicant_id), expect=201)
    finally:
        registry_log.close()
    now = client("GET", f"/stats/annual?year={year}&kind=university")
    assert now["reports"] == 1 and now["totals"]["patents"] == 131
    assert now["totals"]["financing_raised"] == "12500000.00"  # money a string on the wire
    assert list(now["by_kind"]) == ["university"] and now["by_city"]["太原市"]["reports"] == 1
    assert client("GET", "/stats/annual?city=大同市")["reports"] == 0
    yesterday = (datetime.now(BEIJING) - timedelta(days=1)).date()
    assert client("GET", f"/stats/annual?as_of={yesterday.isoformat()}")["reports"] == 0
    client("GET", "/stats/annual", headers=platform.headers("applicant"), expect=403)
