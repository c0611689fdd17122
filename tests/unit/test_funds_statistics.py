"""The funds for the DRC's statistics (``GET /stats/funds``): allocated, paid and
recovered by fund source, city and fiscal year, filtered, as of a moment, as Decimals,
and the same after a rebuild of the log."""

from datetime import datetime, timezone
from decimal import Decimal
from uuid import uuid4

import pytest

from services.funding.application import FundingApplication
from services.funding.eligibility import BaseStanding
from services.funding.fund_statistics import UNKNOWN_CITY, FundsCensus
from tests.support.funding import base_declared_payload
from tests.unit.test_funding_application import OFFICE, Upstream, allocate, open_envelope


@pytest.fixture
def app():
    return FundingApplication()


@pytest.fixture
def upstream(app):
    return Upstream(app)


def paid_first_tranche(app, grant):
    app.disburse(grant.id, tranche_id=grant.tranches[0]["tranche_id"], milestone="建设方案备案",
                 reference=None, ctx=OFFICE.context())


def test_money_is_summed_by_source_city_and_year_as_decimal(app, upstream):
    envelope = open_envelope(app)
    taiyuan = upstream.eligible_base()
    grant = allocate(app, taiyuan, envelope.id, amount="100000.01")
    paid_first_tranche(app, grant)
    stats = app.funds_statistics()
    assert stats["totals"]["allocated"] == Decimal("100000.01")
    assert stats["totals"]["disbursed"] == Decimal("100000.01")
    assert stats["by_source"]["provincial_budget"]["allocated"] == Decimal("100000.01")
    assert stats["by_city"]["太原市"]["disbursed"] == Decimal("100000.01")
    assert stats["by_year"]["2017"]["recovered"] == Decimal("0.00")
    assert app.funds_statistics(city="大同市")["totals"]["allocated"] == Decimal("0.00")
    assert app.funds_statistics(year=2018)["by_year"] == {}
    assert app.funds_statistics(kind="university", fund_source="provincial_budget")["totals"] == stats["totals"]


def test_as_of_a_moment_sums_what_had_moved_by_then(app, upstream):
    envelope = open_envelope(app)
    grant = allocate(app, upstream.eligible_base(), envelope.id)
    allocated = datetime.now(timezone.utc)
    paid_first_tranche(app, grant)
    upstream.adjust(grant.base_id, "certified", "revoked")
    then = app.funds_statistics(allocated)["totals"]
    assert (then["allocated"], then["disbursed"], then["recovery_demanded"]) == (
        Decimal("100000.00"), Decimal("0.00"), Decimal("0.00"))
    assert app.funds_statistics()["totals"]["recovery_demanded"] == Decimal("100000.00")
    assert app.funds_statistics(datetime(2016, 12, 31, tzinfo=timezone.utc))["by_source"] == {}


def test_a_base_declared_before_its_region_was_kept_counts_under_an_unknown_city():
    standing = BaseStanding(base_id=uuid4(), ctx=OFFICE.context())
    standing.record_declaration(name="孝义市", kind="regional", ctx=OFFICE.context())
    census = FundsCensus()
    for event in standing.collect_events():
        census.apply(event)
    assert census.bases[standing.id]["city"] == UNKNOWN_CITY


def test_the_sums_rebuilt_from_the_log_are_the_same(app, upstream):
    envelope = open_envelope(app)
    upstream.publish("registry", "BaseDeclared", base_declared_payload(uuid4(), "孝义市", "regional"))
    grant = allocate(app, upstream.eligible_base(), envelope.id)
    paid_first_tranche(app, grant)
    rebuilt = FundsCensus()
    for _, event in app.all_events():
        rebuilt.apply(event)
    assert rebuilt.statistics() == app.funds_statistics()
    assert rebuilt.state() == app.views[FundsCensus].state()
