"""The DRC's statistics of bases (``GET /stats/bases``): counts by kind, city, county,
status, batch and year, filtered as the lists are, now and as of a past day, and the
progress towards about 30 demonstration bases by 2019; rebuilt from the log, the same."""

from datetime import date, datetime, timedelta, timezone
from uuid import uuid4

import pytest

from services.backbone.kernel.context import Actor
from services.registry.application import RegistryApplication
from services.registry.census import BEIJING, BaseCensus
from services.registry.domain import DeclarationBatch
from tests.support.fixtures import declaration

DRC = Actor(id=uuid4(), role="drc", name="省发展改革委")
BASES = [("孝义市", "regional", "吕梁市", "孝义市"), ("山西大学", "university", "太原市", "小店区"),
         ("太原理工大学", "university", "太原市", "万柏林区"), ("高平市", "regional", "晋城市", "高平市")]


@pytest.fixture
def app():
    app = RegistryApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    now = datetime.now(timezone.utc)
    batch = DeclarationBatch(batch_id=uuid4(), name="2017年第一批", opens_at=now - timedelta(days=1),
                             closes_at=now + timedelta(days=30), quota=12, ctx=DRC.context())
    app.save(batch)
    for name, kind, city, county in BASES:
        app.declare(**{**declaration(batch.id, name=name, kind=kind, city=city, county=county),
                       "batch_id": batch.id}, actor=DRC, ctx=DRC.context())
    app.batch_id = batch.id
    return app


def decide(app, name, to_status, effective_on=None):
    row = next(row for row in app.list_bases() if row["name"] == name)
    record = app.get_base(row["base_id"])
    decision = {"effective_on": effective_on.isoformat()} if effective_on else {}
    record.record_adjustment(from_status=record.status, to_status=to_status, reason="评估决定",
                             basis="evaluation", decision=decision, ctx=DRC.context())
    app.save(record)


def test_bases_are_counted_by_kind_city_county_status_batch_and_year(app):
    decide(app, "孝义市", "certified")
    stats = app.base_statistics()
    year = str(datetime.now(BEIJING).year)
    assert stats["total"] == 4 and stats["demonstration"] == 1
    assert stats["by_kind"] == {"regional": 2, "university": 2}
    assert stats["by_city"] == {"吕梁市": 1, "太原市": 2, "晋城市": 1}
    assert stats["by_status"] == {"certified": 1, "declared": 3}
    assert stats["by_year"] == {year: 4} and stats["by_batch"] == {str(app.batch_id): 4}
    assert {(c["county"], c["total"], c["demonstration"]) for c in stats["by_county"]} == {
        ("孝义市", 1, 1), ("小店区", 1, 0), ("万柏林区", 1, 0), ("高平市", 1, 0)}


def test_the_lists_filters_narrow_the_counts_but_not_the_target(app):
    decide(app, "山西大学", "certified")
    decide(app, "孝义市", "certified")
    stats = app.base_statistics(kind="university", city="太原市", status="certified")
    assert stats["total"] == 1 and stats["by_county"][0]["county"] == "小店区"
    assert app.base_statistics(year=2016)["total"] == 0
    assert app.base_statistics(batch_id=uuid4())["total"] == 0
    assert stats["target"] == {"bases": 30, "by": "2019-12-31", "reached": 2, "share": "6.7",
                               "counties": 2, "met": False}


def test_as_of_a_day_counts_the_decisions_in_effect_by_its_end(app):
    today = datetime.now(BEIJING).date()
    decide(app, "孝义市", "certified", effective_on=today + timedelta(days=10))
    end_of = lambda day: datetime.combine(day, datetime.max.time(), BEIJING)  # noqa: E731
    assert app.base_statistics()["by_status"] == {"certified": 1, "declared": 3}
    assert app.base_statistics(end_of(today))["by_status"] == {"declared": 4}
    assert app.base_statistics(end_of(today + timedelta(days=10)))["target"]["reached"] == 1
    assert app.base_statistics(end_of(date(2016, 12, 31)))["total"] == 0  # before any declaration


def test_a_decision_entered_from_its_document_counts_from_the_document_s_date(app):
    decide(app, "孝义市", "certified", effective_on=date(2017, 9, 7))  # the first batch, entered now
    end_of = lambda day: datetime.combine(day, datetime.max.time(), BEIJING)  # noqa: E731
    assert app.base_statistics(end_of(date(2017, 9, 6)))["total"] == 0
    then = app.base_statistics(end_of(date(2017, 9, 7)))
    assert then["by_status"] == {"certified": 1} and then["target"]["reached"] == 1


def test_the_statistics_rebuilt_from_the_log_are_the_same(app):
    decide(app, "孝义市", "certified")
    decide(app, "高平市", "not_selected")
    live = app.base_statistics()
    rebuilt = BaseCensus()
    for _, event in app.all_events():
        rebuilt.apply(event)
    assert rebuilt.statistics() == live
    assert rebuilt.state() == app.views[BaseCensus].state()
