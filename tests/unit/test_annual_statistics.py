"""The annual reports' figures summed for the DRC (``GET /stats/annual``): by kind and
city, filtered, as the reports stood at the end of a day, and the same after a rebuild."""

from datetime import timedelta
from decimal import Decimal

import pytest

from services.evaluation.annual_statistics import AnnualTotals
from tests.unit.test_annual_self_evaluation import FIGURES, TARGETS, plan_filed, submit
from tests.support.evaluation_world import World


@pytest.fixture
def world():
    return World()


@pytest.fixture
def bases(world):
    """Two certified universities in Taiyuan (a plan filed for each)."""
    _, ids = world.certified(2)
    for base_id in ids:
        assert world.app.receive(plan_filed(world, base_id, TARGETS))
    return ids


def test_figures_are_summed_by_kind_and_city_with_money_as_decimal(world, bases):
    submit(world, bases[0])
    submit(world, bases[1], figures={**FIGURES, "patents": 9, "financing_raised": Decimal("0.01")})
    stats = world.app.annual_statistics()
    assert stats["reports"] == 2
    assert stats["totals"]["patents"] == 140
    assert stats["totals"]["financing_raised"] == Decimal("12500000.01")
    assert stats["by_kind"]["university"]["jobs_created"] == 500
    assert stats["by_city"]["太原市"]["reports"] == 2
    assert world.app.annual_statistics(city="大同市")["reports"] == 0
    assert world.app.annual_statistics(year=2018)["totals"]["patents"] == 0


def test_as_of_a_day_sums_the_versions_sent_by_then(world, bases):
    submit(world, bases[0])
    sent = world.now
    world.now += timedelta(days=2)
    submit(world, bases[0], figures={**FIGURES, "patents": 1})  # a revision replaces it
    assert world.app.annual_statistics()["totals"]["patents"] == 1
    assert world.app.annual_statistics(sent)["totals"]["patents"] == 131
    assert world.app.annual_statistics(sent - timedelta(seconds=1))["reports"] == 0


def test_the_sums_rebuilt_from_the_log_are_the_same(world, bases):
    submit(world, bases[0])
    submit(world, bases[1], figures={**FIGURES, "patents": 9})
    rebuilt = AnnualTotals()
    for _, event in world.app.all_events():
        rebuilt.apply(event)
    assert rebuilt.statistics() == world.app.annual_statistics()
    assert rebuilt.state() == world.app.views[AnnualTotals].state()
