"""Cities are a closed vocabulary: Shanxi's 11 设区市. Every request that names a
region (a declaration, one imported in bulk, an evaluator, a subscription's filter, a
list's filter) gives one of them exactly, whitespace aside, or is refused naming the
field and listing what is accepted; events logged before still load, and conflicts of
interest compare the names normalised."""

from uuid import uuid4

import pytest
from marshmallow import ValidationError

from services.contracts import load_event
from services.contracts.vocabulary import CITIES, normalise_city
from services.backbone.kernel.errors import RuleViolation
from services.evaluation.schemas import BasesQuery, EvaluatorRequest
from services.notifications.schemas import SubscribeRequest
from services.registry.bulk_import import read_declarations
from services.registry.schemas import DeclareRequest, ListQuery
from tests.support.fixtures import declaration
from tests.support.evaluation_world import World

SHANXI = ["太原市", "大同市", "朔州市", "忻州市", "阳泉市", "吕梁市", "晋中市", "长治市",
          "晋城市", "临汾市", "运城市"]


def city_error(schema, data, *path) -> str:
    with pytest.raises(ValidationError) as caught:
        schema.load(data)
    messages = caught.value.messages
    for key in path:
        messages = messages[key]
    return messages[0]


def test_the_vocabulary_is_shanxis_eleven_cities():
    assert sorted(CITIES) == sorted(SHANXI)


@pytest.mark.parametrize("city", ["太原", "太原市区", "北京市", "taiyuan", ""])
def test_a_declaration_naming_no_city_of_shanxi_is_refused_listing_the_cities(city):
    message = city_error(DeclareRequest(), declaration(uuid4(), city=city), "region", "city")
    assert "Not one of Shanxi's cities" in message and "太原市、大同市" in message and "运城市" in message


def test_whitespace_around_a_city_or_county_is_stripped():
    loaded = DeclareRequest().load(declaration(uuid4(), city=" 太原市\u3000", county="小店区 "))
    assert loaded["region"] == {"city": "太原市", "county": "小店区"}
    evaluator = EvaluatorRequest().load({"name": "王专家", "organisation": "专家库",
                                         "region": {"city": "大同市 ", "county": "平城区"}})
    assert evaluator["region"]["city"] == "大同市"


def test_an_evaluator_naming_no_city_of_shanxi_is_refused():
    body = {"name": "王专家", "organisation": "专家库", "region": {"city": "太原", "county": "小店区"}}
    assert "Not one of Shanxi's cities" in city_error(EvaluatorRequest(), body, "region", "city")


def test_a_subscription_filter_and_the_lists_take_only_cities_of_shanxi():
    body = {"channel": {"kind": "inbox"}, "filter": {"regions": [{"city": "吕梁"}]}}
    assert "Not one of" in city_error(SubscribeRequest(), body, "filter", "regions", 0, "city")
    body["filter"]["regions"] = [{"city": " 吕梁市 ", "county": " 孝义市 "}]
    assert SubscribeRequest().load(body)["filter"]["regions"] == [{"city": "吕梁市", "county": "孝义市"}]
    for query in (ListQuery(), BasesQuery()):
        assert "Not one of" in city_error(query, {"city": "太原"}, "city")
        assert query.load({"city": "太原市 "})["city"] == "太原市"


def test_a_bulk_import_row_with_a_city_not_of_shanxi_is_rejected_naming_the_field(tmp_path):
    path = tmp_path / "申报.csv"
    path.write_text("name,kind,city,county,competent_department,contact_name,contact_phone\n"
                    "孝义市,regional, 吕梁市 ,孝义市,孝义市发展和改革局,王科长,0358-7620000\n"
                    "交城县,regional,吕梁,交城县,交城县发展和改革局,李科长,0358-3520000\n",
                    encoding="utf-8")
    first, second = ({**body, "batch_id": str(uuid4())} for body in read_declarations(path))
    assert DeclareRequest().load(first)["region"]["city"] == "吕梁市"
    assert "Not one of" in city_error(DeclareRequest(), second, "region", "city")


def test_an_event_logged_with_a_free_text_city_still_loads():
    from services.contracts import CATALOG

    payload = {**CATALOG["BaseDeclared"].example, "region": {"city": "太原", "county": "小店区 "}}
    event = load_event({"event_id": str(uuid4()), "type": "BaseDeclared", "schema_version": 2,
                        "source": "registry", "position": 1, "previous_position": None,
                        "occurred_at": "2017-05-01T10:00:00+08:00",
                        "actor": {"id": str(uuid4()), "role": "applicant", "name": ""},
                        "correlation_id": str(uuid4()), "payload": payload})
    assert event.payload["region"]["city"] == "太原"


def test_names_are_normalised_for_comparison():
    assert [normalise_city(c) for c in ("太原", " 太原市 ", "太原\u3000", "北京市")] == [
        "太原市", "太原市", "太原市", "北京市"]


def test_an_evaluator_logged_as_from_taiyuan_in_free_text_cannot_score_a_base_of_taiyuan():
    world = World()
    batch_id = world.open_batch()
    base_id = world.declare(batch_id, city="太原市")
    for typed in ("太原", "太原市 "):  # as registered before cities were checked
        evaluator = world.evaluator(name=f"专家{typed}", city=typed)
        with pytest.raises(RuleViolation) as caught:
            world.assign(base_id, evaluator, batch_id=batch_id)
        assert "conflict of interest" in caught.value.fields["evaluator_id"][0]
