"""Every list is paged, sorted and searched one way (services/backbone/web/paging.py)."""

import inspect
from datetime import datetime, timedelta, timezone

import pytest
from marshmallow import ValidationError

from services.backbone.web.paging import PageQuery, SearchText, paged, sortable
from services.evaluation import schemas as evaluation
from services.funding import schemas as funding
from services.notifications import schemas as notifications
from services.registry import schemas as registry

T0 = datetime(2017, 9, 7, 6, 0, tzinfo=timezone.utc)
ROWS = [
    {"name": "山西大学", "region": {"city": "太原市"}, "declared_at": T0, "score": None},
    {"name": "启迪(太原)科技园", "region": {"city": "太原市"}, "declared_at": T0 + timedelta(hours=1),
     "score": 80},
    {"name": "SXU 众创空间", "region": {"city": "大同市"}, "declared_at": T0 + timedelta(hours=2),
     "score": 90},
]


class Listing(PageQuery):
    SORTABLE = sortable("name", "declared_at", "score", city="region.city")
    SEARCHED = ("name",)

    q = SearchText()


def names(**query) -> list[str]:
    rows, _ = paged(Listing().load(query), lambda: [dict(row) for row in ROWS])
    return [row["name"] for row in rows]


def test_without_sort_a_list_keeps_its_own_order():
    assert names() == ["山西大学", "启迪(太原)科技园", "SXU 众创空间"]


def test_sort_by_a_field_ascending_or_descending_and_ties_keep_the_lists_order():
    assert names(sort="-declared_at") == ["SXU 众创空间", "启迪(太原)科技园", "山西大学"]
    assert names(sort="city") == ["SXU 众创空间", "山西大学", "启迪(太原)科技园"]
    assert names(sort="-city") == ["山西大学", "启迪(太原)科技园", "SXU 众创空间"]


def test_rows_without_the_value_come_last_in_either_direction():
    assert names(sort="score")[-1] == "山西大学"
    assert names(sort="-score") == ["SXU 众创空间", "启迪(太原)科技园", "山西大学"]


def test_a_field_the_list_is_not_sorted_by_is_refused_naming_sort_and_what_is_accepted():
    with pytest.raises(ValidationError) as refused:
        Listing().load({"sort": "-contacts"})
    assert list(refused.value.messages) == ["sort"]
    assert "name、declared_at、score、city" in refused.value.messages["sort"][0]


def test_search_is_partial_and_compares_names_by_key():
    assert names(q="启迪（太原）") == ["启迪(太原)科技园"]
    assert names(q="ｓｘｕ众创") == ["SXU 众创空间"]
    assert names(q="大学") == ["山西大学"]
    assert names(q="北京") == []


def test_the_page_says_how_many_match_in_all_after_search_and_sort():
    rows, page = paged(Listing().load({"q": "太原", "limit": 1, "offset": 0}), lambda: list(ROWS))
    assert [row["name"] for row in rows] == ["启迪(太原)科技园"]
    assert page == {"count": 1, "total": 1, "offset": 0, "limit": 1}


def test_every_list_query_of_every_service_takes_limit_offset_and_sort():
    queries = [cls for module in (registry, evaluation, funding, notifications)
               for name, cls in vars(module).items()
               if inspect.isclass(cls) and name.endswith("Query") and "limit" in cls().fields
               and cls.__module__ == module.__name__]
    assert {q.__name__ for q in queries} >= {
        "ListQuery", "UnitsQuery", "BatchesQuery", "BasesQuery", "EvaluatorsQuery", "RoundsQuery",
        "EnvelopesQuery", "SubscriptionQuery", "DeliveryQuery", "InboxQuery"}
    for query in queries:
        assert issubclass(query, PageQuery) and query.SORTABLE, query.__name__
        first = next(iter(query.SORTABLE))
        assert query().load({"limit": "2", "sort": f"-{first}"})["limit"] == 2


@pytest.mark.parametrize("query", [registry.ListQuery, registry.UnitsQuery, evaluation.BasesQuery,
                                   evaluation.EvaluatorsQuery])
def test_bases_units_and_evaluators_are_searched_by_name(query):
    assert "q" in query().fields and "name" in query.SEARCHED
