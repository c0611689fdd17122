"""The registry's HTTP API: authentication, validation errors that name the field,
duplicate declarations, and filtered lists."""

import json
import re

import requests

from services.contracts import load_event
from tests.integration.conftest import open_batch
from tests.support.fixtures import declaration
from tests.support.platform import wait_until


def test_no_token_is_401_and_a_wrong_role_is_403_both_json(platform, evaluation_log):
    platform.start("registry")
    batch_id = open_batch(platform, evaluation_log)
    url = platform.url("registry", "/bases")

    anonymous = requests.post(url, json=declaration(batch_id))
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "unauthenticated"

    forged = requests.post(url, json=declaration(batch_id),
                           headers={"Authorization": "Bearer not-a-token"})
    assert forged.status_code == 401

    wrong_role = requests.post(url, json=declaration(batch_id), headers=platform.headers("evaluator"))
    assert wrong_role.status_code == 403
    assert wrong_role.json()["error"]["code"] == "forbidden"

    assert requests.get(url).status_code == 401
    assert requests.get(url, headers=platform.headers("department")).status_code == 200


def test_bad_input_is_400_naming_the_field_and_changes_nothing(platform, evaluation_log):
    platform.start("registry")
    batch_id = open_batch(platform, evaluation_log)
    url = platform.url("registry", "/bases")
    headers = platform.headers("applicant")

    body = declaration(batch_id, kind="hospital")
    body["unexpected"] = 1
    del body["competent_department"]
    response = requests.post(url, json=body, headers=headers)
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert "Must be one of" in fields["kind"][0]
    assert fields["unexpected"] == ["Unknown field."]
    assert fields["competent_department"] == ["Missing data for required field."]

    not_json = requests.post(url, data="{", headers={**headers, "Content-Type": "application/json"})
    assert not_json.status_code == 400
    assert requests.get(url, headers=headers).json()["count"] == 0


def test_a_city_not_of_shanxi_is_400_naming_the_field_and_listing_the_cities(platform, evaluation_log):
    platform.start("registry")
    batch_id = open_batch(platform, evaluation_log)
    url = platform.url("registry", "/bases")
    headers = platform.applicant()
    refused = requests.post(url, json=declaration(batch_id, city="太原"), headers=headers)
    assert refused.status_code == 400
    message = refused.json()["error"]["fields"]["region"]["city"][0]
    assert "太原市、大同市、朔州市" in message
    accepted = requests.post(url, json=declaration(batch_id, city="太原市 "), headers=headers)
    assert accepted.status_code == 201 and accepted.json()["region"]["city"] == "太原市"


def test_the_same_name_twice_in_a_batch_is_refused(platform, evaluation_log):
    platform.start("registry")
    batch_id = open_batch(platform, evaluation_log)
    url = platform.url("registry", "/bases")
    headers = platform.applicant()
    assert requests.post(url, json=declaration(batch_id), headers=headers).status_code == 201
    again = requests.post(url, json=declaration(batch_id, name=" 山西大学"), headers=headers)
    assert again.status_code == 409
    assert "name" in again.json()["error"]["fields"]


def test_the_variants_of_one_name_the_probe_declared_are_one_unit_or_refused(platform, evaluation_log):
    """In one batch, every spelling of ABC科技有限公司 after the first: a twin by its
    comparison key (409), or text carrying what names may not (400 naming the field,
    a lone surrogate included, which was a 500)."""
    platform.start("registry")
    batch_id = open_batch(platform, evaluation_log)
    url, drc = platform.url("registry", "/bases"), platform.headers("drc")
    name = "ABC科技有限公司"
    assert requests.post(url, json=declaration(batch_id, name=name), headers=drc).status_code == 201
    twins = ["ＡＢＣ科技有限公司", "abc科技有限公司", "ABC 科技有限公司"]
    refused = [f"ABC\u200b{name[3:]}", f"\u202e{name}", f"{name}\ufeff", f"{name}\x00",
               f"{name}\r\nBcc: x@example.cn", f"{name}\ud800"]
    answers = {variant: requests.post(url, headers={**drc, "Content-Type": "application/json"},
                                      data=json.dumps(declaration(batch_id, name=variant)))
               for variant in twins + refused}
    assert {v: a.status_code for v, a in answers.items()} == {**{v: 409 for v in twins},
                                                               **{v: 400 for v in refused}}
    assert all(list(answers[v].json()["error"]["fields"]) == ["name"] for v in twins + refused)
    assert requests.get(url, headers=drc).json()["count"] == 1


def test_another_units_applicant_cannot_take_a_name_first(platform, evaluation_log):
    """The squatting the probe found: an applicant of another unit declared 山西大学
    first, and the university was then refused. Now only the university's applicant
    (its token names it) declares it, or the DRC for it."""
    platform.start("registry")
    batch_id = open_batch(platform, evaluation_log)
    url = platform.url("registry", "/bases")
    squatter = requests.post(url, json=declaration(batch_id), headers=platform.applicant("另一单位"))
    assert squatter.status_code == 403
    assert "own organisation" in squatter.json()["error"]["message"]
    university = requests.post(url, json=declaration(batch_id), headers=platform.applicant("山西大学"))
    assert university.status_code == 201, university.text


def test_a_unit_already_a_base_or_still_undecided_does_not_declare_again_in_another_batch(
        platform, evaluation_log):
    platform.start("registry")
    first = open_batch(platform, evaluation_log)
    second = open_batch(platform, evaluation_log, name="2018年第二批")
    url, headers = platform.url("registry", "/bases"), platform.headers("drc")  # for each unit
    shanda = requests.post(url, json=declaration(first), headers=headers).json()
    ligong = requests.post(url, json=declaration(first, name="太原理工大学"), headers=headers).json()

    undecided = requests.post(url, json=declaration(second), headers=headers)
    assert undecided.status_code == 409
    assert "not decided yet" in undecided.json()["error"]["fields"]["name"][0]
    full_width = requests.post(url, json=declaration(first, name="中北大学（朔州校区）"), headers=headers)
    assert full_width.status_code == 201
    respelt = requests.post(url, json=declaration(second, name="中北大学(朔州校区)"), headers=headers)
    assert respelt.status_code == 409, respelt.text  # the same unit, as a batch compares names
    assert "not decided yet" in respelt.json()["error"]["fields"]["name"][0]

    for base, to_status in ((shanda, "certified"), (ligong, "not_selected")):
        evaluation_log.emit("BaseAdjusted", {"base_id": base["base_id"], "from_status": "declared",
                                             "to_status": to_status, "reason": "评选", "basis": "selection"})
    wait_until(lambda: platform.app("registry").last_position("evaluation") >= evaluation_log.position)
    certified = requests.post(url, json=declaration(second, name="山西大学 "), headers=headers)
    assert certified.status_code == 409  # it would be certified twice, as two bases
    assert "demonstration base (certified)" in certified.json()["error"]["fields"]["name"][0]
    again = requests.post(url, json=declaration(second, name="太原理工大学"), headers=headers)
    assert again.status_code == 201, again.text  # not selected: it may try again


def test_declarations_outside_an_open_window_are_refused(platform, evaluation_log):
    from datetime import timedelta

    platform.start("registry")
    future = open_batch(platform, evaluation_log, name="2018年第二批",
                        opens_delta=timedelta(days=10), closes_delta=timedelta(days=40))
    response = requests.post(platform.url("registry", "/bases"), json=declaration(future),
                             headers=platform.applicant())
    assert response.status_code == 422
    assert "does not accept declarations" in response.json()["error"]["fields"]["batch_id"][0]

    unknown = requests.post(platform.url("registry", "/bases"),
                            json=declaration("5b0c7d2e-8f5e-4a8b-9d1e-3c2b1a0f9e8d"),
                            headers=platform.applicant())
    assert unknown.status_code == 422


def test_lists_filter_by_kind_region_status_and_batch(platform, evaluation_log):
    platform.start("registry")
    batch_id = open_batch(platform, evaluation_log)
    url = platform.url("registry", "/bases")
    headers = platform.headers("drc")
    requests.post(url, json=declaration(batch_id), headers=headers)
    requests.post(url, json=declaration(batch_id, name="孝义市", kind="regional", city="吕梁市",
                                        county="孝义市", department="孝义市发展和改革局"),
                  headers=headers)

    def names(**query):
        response = requests.get(url, params=query, headers=headers)
        assert response.status_code == 200, response.text
        return [row["name"] for row in response.json()["bases"]]

    assert names() == ["山西大学", "孝义市"]
    assert names(kind="regional") == ["孝义市"]
    assert names(city="太原市") == ["山西大学"]
    assert names(status="declared", batch_id=batch_id) == ["山西大学", "孝义市"]
    assert names(status="certified") == []
    bad = requests.get(url, params={"status": "famous"}, headers=headers)
    assert bad.status_code == 400 and "status" in bad.json()["error"]["fields"]

    first = requests.get(url, params={"limit": 1}, headers=headers).json()
    second = requests.get(url, params={"limit": 1, "offset": 1}, headers=headers).json()
    assert [row["name"] for row in first["bases"] + second["bases"]] == ["山西大学", "孝义市"]
    assert {k: first[k] for k in ("count", "total", "offset", "limit")} == \
        {"count": 1, "total": 2, "offset": 0, "limit": 1}
    assert requests.get(url, params={"offset": 2}, headers=headers).json()["bases"] == []
    too_many = requests.get(url, params={"limit": 5001}, headers=headers)
    assert too_many.status_code == 400 and "limit" in too_many.json()["error"]["fields"]


def test_bases_are_searched_by_part_of_their_name_filtered_by_department_and_sorted(
        platform, evaluation_log):
    platform.start("registry")
    batch_id = open_batch(platform, evaluation_log)
    url = platform.url("registry", "/bases")
    headers = platform.headers("drc")
    for body in (declaration(batch_id, name="启迪(太原)科技园", kind="enterprise",
                             department="山西省科学技术厅"),
                 declaration(batch_id, name="SXU 众创空间", kind="enterprise",
                             department="山西省科学技术厅", city="大同市", county="平城区"),
                 declaration(batch_id, name="山西大学")):
        assert requests.post(url, json=body, headers=headers).status_code == 201

    def names(**query):
        response = requests.get(url, params=query, headers=headers)
        assert response.status_code == 200, response.text
        return [row["name"] for row in response.json()["bases"]]

    assert names(q="启迪（太原）") == ["启迪(太原)科技园"]  # full-width brackets, one key
    assert names(q="ｓｘｕ") == ["SXU 众创空间"]  # full-width, lower case
    assert names(q="山西") == ["山西大学"]
    assert names(competent_department="山西省科学技术厅") == ["启迪(太原)科技园", "SXU 众创空间"]
    assert names(competent_department="山西省科学技术厅", city="大同市", county="平城区") == ["SXU 众创空间"]
    assert names(sort="city") == ["SXU 众创空间", "启迪(太原)科技园", "山西大学"]  # 大同市 < 太原市
    assert names(sort="-declared_at") == ["山西大学", "SXU 众创空间", "启迪(太原)科技园"]
    page = requests.get(url, params={"sort": "name", "limit": 2, "offset": 1}, headers=headers).json()
    assert [row["name"] for row in page["bases"]] == ["启迪(太原)科技园", "山西大学"]
    assert (page["count"], page["total"]) == (2, 3)

    refused = requests.get(url, params={"sort": "contacts"}, headers=headers)
    assert refused.status_code == 400
    assert "name、kind、status" in refused.json()["error"]["fields"]["sort"][0]


def test_declaring_units_are_listed_and_searched_by_part_of_their_name(platform, evaluation_log):
    platform.start("registry")
    batch_id = open_batch(platform, evaluation_log)
    headers = platform.headers("drc")
    declared = {}
    for name in ("启迪(太原)科技园", "山西大学"):
        response = requests.post(platform.url("registry", "/bases"), headers=headers,
                                 json=declaration(batch_id, name=name))
        declared[name] = response.json()["base_id"]
    url = platform.url("registry", "/units")
    found = requests.get(url, params={"q": "启迪（太原）"}, headers=platform.headers("evaluator")).json()
    assert [(u["name"], u["declarations"], u["latest_base_id"]) for u in found["units"]] == \
        [("启迪(太原)科技园", 1, declared["启迪(太原)科技园"])]
    assert re.search(r"[+-]\d\d:\d\d$", found["units"][0]["first_declared_at"])
    newest = requests.get(url, params={"sort": "-first_declared_at", "limit": 1}, headers=headers).json()
    assert [u["name"] for u in newest["units"]] == ["山西大学"] and newest["total"] == 2
    assert requests.get(url, params={"sort": "unit_id"}, headers=headers).status_code == 400


def test_batches_are_paged_and_sorted_like_every_list(platform, evaluation_log):
    platform.start("registry")
    first = open_batch(platform, evaluation_log, name="2017年第一批")
    second = open_batch(platform, evaluation_log, name="2018年第二批")
    url = platform.url("registry", "/batches")
    headers = platform.headers("drc")
    page = requests.get(url, params={"limit": 1, "sort": "-name"}, headers=headers).json()
    assert [b["batch_id"] for b in page["batches"]] == [second]
    assert {k: page[k] for k in ("count", "total", "offset", "limit")} == \
        {"count": 1, "total": 2, "offset": 0, "limit": 1}
    everything = requests.get(url, params={"sort": "name"}, headers=headers).json()["batches"]
    assert [b["batch_id"] for b in everything] == [first, second]
    assert re.search(r"[+-]\d\d:\d\d$", everything[0]["opens_at"])  # answered with its offset
    assert requests.get(url, params={"sort": "secret"}, headers=headers).status_code == 400


def test_contact_persons_are_shown_only_to_those_who_work_with_the_base(platform, evaluation_log):
    """Names, phones and e-mail of contact persons are personal information: the DRC,
    the county government of the base's region, its competent department and the base
    itself see them; other readers of the register get the base with contacts null,
    in the base, its history and the event log alike."""
    platform.start("registry")
    batch_id = open_batch(platform, evaluation_log)
    declarer = platform.applicant()
    declared = requests.post(platform.url("registry", "/bases"), json=declaration(batch_id),
                             headers=declarer)
    base_id = declared.json()["base_id"]
    entitled = [declarer, platform.headers("drc"),
                platform.headers("county_government", region=("太原市", "小店区")),
                platform.headers("competent_department", org="山西省教育厅")]
    others = [platform.headers("county_government", region=("吕梁市", "孝义市")),
              platform.headers("competent_department", org="山西省科学技术厅"),
              platform.headers("department", org="山西省财政厅"), platform.headers("funding_office"),
              platform.headers("evaluator"), platform.headers("ops"), platform.headers("applicant")]
    for headers, sees in [(h, True) for h in entitled] + [(h, False) for h in others]:
        base = requests.get(platform.url("registry", f"/bases/{base_id}"), headers=headers).json()
        log = requests.get(platform.url("registry", "/events"), headers=headers)
        if log.status_code != 403:  # GET /events is for government readers, not applicants
            event = next(e for e in log.json()["events"] if e["type"] == "BaseDeclared")
            assert (event["payload"]["contacts"] is not None) == sees
            assert ("withheld" in event) != sees
            assert load_event(event, allow_withheld=True).payload["name"] == "山西大学"  # one parser
        history = requests.get(platform.url("registry", f"/bases/{base_id}/history"), headers=headers).json()
        declared_entry = next(e for e in history["history"] if "contacts" in e["data"])
        if sees:
            assert base["contacts"][0]["phone"] == "0351-7010000"
            assert declared_entry["data"]["contacts"][0]["name"] == "张三"
        else:
            assert base["contacts"] is None and base["name"] == "山西大学"
            assert declared_entry["data"]["contacts"] is None
            assert "0351-7010000" not in str(history)


def test_a_body_field_that_the_path_already_gives_is_400_naming_it(platform, evaluation_log):
    """Found by the property tests: {"base_id": ...} in the body of a route with
    <base_id> in its path reached the handler twice and answered 500."""
    platform.start("registry")
    batch_id = open_batch(platform, evaluation_log)
    created = requests.post(platform.url("registry", "/bases"), json=declaration(batch_id),
                            headers=platform.applicant()).json()
    response = requests.post(platform.url("registry", f"/bases/{created['base_id']}/plan/approvals"),
                             json={"version": 1, "base_id": None},
                             headers=platform.headers("county_government", region=("太原市", "小店区")))
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"base_id": ["Given in the path; not a field of the body."]}

    named_self = requests.post(platform.url("registry", "/bases"), json={**declaration(batch_id), "self": 1},
                               headers=platform.applicant())
    assert named_self.status_code == 400  # reached the method twice as `self`: a 500
    assert named_self.json()["error"]["fields"] == {"self": ["Unknown field."]}


def test_a_path_or_method_not_served_is_answered_in_json_like_every_error(platform):
    platform.start("registry")
    missing = requests.get(platform.url("registry", "/no-such-path"))
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    wrong = requests.delete(platform.url("registry", "/bases"), headers=platform.headers("drc"))
    assert wrong.status_code == 405 and wrong.json()["error"]["code"] == "method_not_allowed"
    assert set(wrong.headers["Allow"].split(", ")) >= {"GET", "POST"}
    assert wrong.headers["Content-Type"].startswith("application/json")  # werkzeug's HTML page before


def test_a_body_over_the_size_limit_is_413_unread_declared_or_chunked(platform, evaluation_log):
    platform.start("registry")
    batch_id = open_batch(platform, evaluation_log)
    limit = platform.config["services"]["max_body_bytes"]
    oversized = json.dumps({**declaration(batch_id), "padding": "x" * limit}).encode()
    url, headers = platform.url("registry", "/bases"), {**platform.applicant(),
                                                        "Content-Type": "application/json"}

    declared = requests.post(url, data=oversized, headers=headers)
    chunked = requests.post(url, data=(oversized[i:i + 65536] for i in range(0, len(oversized), 65536)),
                            headers=headers)  # no Content-Length: refused once reading passes it

    for response in (declared, chunked):
        assert response.status_code == 413, response.text
        assert response.json()["error"] == {"code": "payload_too_large",
                                            "message": f"The request body is larger than {limit} bytes."}
    assert platform.app("registry").list_bases() == []
    assert requests.post(url, json=declaration(batch_id), headers=headers).status_code == 201
