"""The annual self-evaluation (年度自评): figures beside the filed plan's targets, a
rubric scoring figures by thresholds beside the experts, and the report's rules."""

from datetime import date, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from services.backbone.kernel.context import stable_id
from services.backbone.kernel.errors import Forbidden, RuleViolation
from services.contracts import ActorRef, load_event, new_event
from services.contracts.vocabulary import ANNUAL_INDICATORS, CONSTRUCTION_TASKS
from services.evaluation.catalogue import default_catalogue
from services.evaluation.comparison import compare
from services.evaluation.quantitative import QuantitativeIndicator
from services.evaluation.rubric import Rubric, RubricError
from tests.support.evaluation_world import RUBRICS, World

FIGURES = {"incubators": 2, "makerspaces": 3, "incubated_enterprises": 48, "jobs_created": 250,
           "patents": 131, "technology_transfers": 25, "financing_raised": Decimal("12500000.00"),
           "events_held": 40}
TARGETS = [{"metric": "incubated_enterprises", "value": Decimal("60"), "due": date(2017, 12, 31)},
           {"metric": "patents", "value": Decimal("100"), "due": date(2017, 6, 30)},
           {"metric": "patents", "value": Decimal("120"), "due": date(2017, 12, 31)},
           {"metric": "jobs_created", "value": Decimal("900"), "due": date(2018, 12, 31)}]


def rows_by_indicator(rows):
    return {row["indicator"]: row for row in rows}


def test_a_figure_is_compared_with_the_target_due_in_its_year_and_says_the_gap():
    rows = rows_by_indicator(compare(FIGURES, TARGETS, 2017))
    assert rows["incubated_enterprises"] == {"indicator": "incubated_enterprises",
                                             "target": Decimal("60.00"), "actual": Decimal("48.00"),
                                             "gap": Decimal("-12.00"), "status": "short"}
    assert (rows["patents"]["target"], rows["patents"]["gap"], rows["patents"]["status"]) == (
        Decimal("120.00"), Decimal("11.00"), "met")  # the later of the year's two targets
    assert rows["jobs_created"]["status"] == "no_target"  # due in 2018, not this year
    assert rows["jobs_created"]["target"] is None and rows["jobs_created"]["gap"] is None
    assert list(rows) == list(ANNUAL_INDICATORS)


def test_money_is_compared_as_decimal_to_the_fen():
    rows = rows_by_indicator(compare(FIGURES, [{"metric": "financing_raised",
                                                "value": Decimal("12500000.01"),
                                                "due": "2017-12-31"}], 2017))
    assert rows["financing_raised"]["gap"] == Decimal("-0.01")
    assert rows["financing_raised"]["status"] == "short"


@pytest.mark.parametrize("actual, points", [(None, "0.00"), (0, "0.00"), (250, "5.00"),
                                            (333, "6.66"), (500, "10.00"), (9000, "10.00")])
def test_a_quantitative_indicator_is_linear_between_its_thresholds(actual, points):
    jobs = QuantitativeIndicator("jobs_created", Decimal(10), Decimal(0), Decimal(500))
    assert jobs.points(None if actual is None else Decimal(actual)) == Decimal(points)


def test_the_2026_university_rubric_scores_figures_beside_the_experts():
    rubric = default_catalogue().rubric("university-2026.1")
    total, rows = rubric.score_figures(FIGURES)
    assert total == Decimal("24.60")  # jobs 250/500 → 5, transfers ≥ 20 → 10, 48/50 → 9.6
    assert [row["points"] for row in rows] == [Decimal("5.00"), Decimal("10.00"), Decimal("9.60")]
    assert rubric.score_figures(None)[0] == Decimal("0.00")
    full_sheet = {code: Decimal(100) for code in CONSTRUCTION_TASKS["university"]}
    assert rubric.weighted(full_sheet) == Decimal(70)  # the experts' share of 100


def test_the_rubrics_of_2017_still_load_and_score_no_figures():
    for version in RUBRICS.values():
        rubric = default_catalogue().rubric(version)
        assert rubric.quantitative == () and rubric.score_figures(FIGURES)[0] == 0


def rubric_data(**quantitative):
    data = {"version": "university-x", "kind": "university", "title": "t",
            "thresholds": {"excellent": 90, "good": 80, "qualified": 60},
            "dimensions": [{"code": code, "weight": 20, "indicators": ["i"]}
                           for code in CONSTRUCTION_TASKS["university"]],
            "quantitative": [{"indicator": "jobs_created", "weight": 20, **quantitative}]}
    return data


def test_a_rubric_whose_thresholds_cannot_score_is_refused_naming_the_fault():
    assert Rubric.from_data(rubric_data(zero_at=0, full_at=500)).quantitative
    with pytest.raises(RubricError, match="zero_at < full_at"):
        Rubric.from_data(rubric_data(zero_at=500, full_at=500))
    with pytest.raises(RubricError, match="not 100"):
        Rubric.from_data({**rubric_data(full_at=5), "quantitative": []})


# -- the application -----------------------------------------------------------------------------

def plan_filed(world, base_id, targets, version=1):
    world.position += 1
    return new_event(
        event_id=uuid4(), type="PlanFiled", source="registry", position=world.position,
        previous_position=world.position - 1, occurred_at=world.now,
        actor=ActorRef(uuid4(), "drc", "省发展改革委"), correlation_id=uuid4(),
        payload={"base_id": base_id, "plan_version": version, "kind": "university",
                 "tasks": [{"task": code, "measures": "措施", "reform_areas": []}
                           for code in CONSTRUCTION_TASKS["university"]],
                 "targets": list(targets),
                 "approvals": [{"actor_id": uuid4(), "role": role, "name": "x",
                                "approved_at": world.now}
                               for role in ("county_government", "competent_department")]})


NARRATIVES = {code: "本年度完成情况" for code in CONSTRUCTION_TASKS["university"]}


@pytest.fixture
def world():
    return World()


@pytest.fixture
def certified(world):
    _, (base_id,) = world.certified(1)
    assert world.app.receive(plan_filed(world, base_id, TARGETS))
    return base_id


def submit(world, base_id, year=2017, figures=FIGURES, narratives=NARRATIVES, actor=None):
    actor = actor or world.applicants[base_id]
    return world.app.submit_annual_report(base_id, year=year, narratives=narratives,
                                          figures=figures, documents=[], actor=actor,
                                          ctx=actor.context())


def test_a_report_is_compared_with_the_filed_plan_and_a_revision_replaces_it(world, certified):
    first = submit(world, certified)
    assert first["version"] == 1 and first["plan_version"] == 1
    assert rows_by_indicator(first["comparison"])["incubated_enterprises"]["status"] == "short"
    revised = submit(world, certified, figures={**FIGURES, "incubated_enterprises": 61})
    assert (revised["version"], revised["versions"]) == (2, 2)
    assert rows_by_indicator(revised["comparison"])["incubated_enterprises"]["gap"] == Decimal("1.00")
    [shown] = world.app.annual_reports(certified, world.applicants[certified])
    assert shown["figures"]["incubated_enterprises"] == 61
    assert world.app.get_base(certified, world.applicants[certified])["annual_report"]["version"] == 2

    published, _ = world.app.published_after(0, 1000)
    submitted = [load_event(e.to_message()) for e in published if e.type == "AnnualReportSubmitted"]
    assert [(e.payload["base_id"], e.payload["version"]) for e in submitted] == [(certified, 1),
                                                                                (certified, 2)]
    assert submitted[0].payload["figures"]["financing_raised"] == Decimal("12500000.00")
    assert "narratives" not in submitted[0].payload


def test_only_the_base_s_own_applicant_reports_and_only_in_its_window(world, certified):
    with pytest.raises(Forbidden):
        submit(world, certified, actor=world.applicants[certified].__class__(
            id=uuid4(), role="applicant", name="别人"))
    with pytest.raises(RuleViolation) as refused:
        submit(world, certified, year=2018)
    assert "year" in refused.value.fields
    world.now = world.now.replace(year=2018, month=4, day=1)
    with pytest.raises(RuleViolation, match="closed on 2018-03-31"):
        submit(world, certified, year=2017)


def test_a_report_narrates_every_construction_task_of_its_kind(world, certified):
    with pytest.raises(RuleViolation) as refused:
        submit(world, certified, narratives={"talent_cultivation": "只写一项"})
    assert "technology_transfer" in refused.value.fields["narratives"]


def test_a_round_on_the_figures_rubric_adds_the_points_of_the_latest_report(world, certified):
    submit(world, certified)
    world.now += timedelta(days=250)  # 2018-02
    rubrics = {**RUBRICS, "university": "university-2026.1"}
    round_id = world.app.open_round(kind="third_party", name="2018年上半年第三方评估",
                                    period="2018H1", rubrics=rubrics, ctx=world.ctx()).id
    world.scored(certified, "university", [90], round_id=round_id)  # 90% of 70 = 63
    [shown] = world.app.round(round_id)["bases"]
    assert shown["annual_report"]["year"] == 2017
    assert (shown["score"], shown["quantitative"]["points"], shown["total"]) == (
        Decimal("63.00"), Decimal("24.60"), Decimal("87.60"))
    world.app.close_round(round_id, policy_version="adjustment-2018.1", ctx=world.ctx())
    [grade] = world.app.repository.get(round_id).grades
    assert (grade["score"], grade["grade"]) == (Decimal("87.60"), "good")

    world.now += timedelta(minutes=1)  # still before 31 March: 2017 may be revised
    submit(world, certified, figures={**FIGURES, "jobs_created": 500})
    [shown] = world.app.round(round_id)["bases"]
    assert (shown["annual_report"]["version"], shown["total"]) == (1, Decimal("87.60"))
    assert world.app.annual_reports(certified, world.applicants[certified])[0]["version"] == 2


def test_a_plan_may_set_targets_for_every_annual_indicator_and_records_them_by_base(world, certified):
    from services.registry.schemas import PlanRequest

    plan = PlanRequest().load({"tasks": [{"task": "talent_cultivation", "measures": "措施"}],
                               "targets": [{"metric": "technology_transfers", "value": "20",
                                            "due": "2018-12-31"}]})
    assert plan["targets"][0]["value"] == Decimal("20.00")
    history = world.app.history(stable_id("annual-reporting", certified))
    assert [type(e).__name__ for e in history] == ["Opened", "PlanTargetsRecorded"]
    assert all(world.app.base_of(e) == certified for e in history)  # the audit finds them by base


def test_a_rubric_scoring_figures_is_never_in_force_and_a_round_names_only_known_ones(world):
    with pytest.raises(RubricError, match="declarations do not have"):
        default_catalogue().check_in_force({**RUBRICS, "university": "university-2026.1"},
                                           "adjustment-2018.1")
    world.certified(1)
    world.now += timedelta(days=250)
    with pytest.raises(RuleViolation) as refused:
        world.app.open_round(kind="inspection", name="督促检查", period="2018H1",
                             rubrics={**RUBRICS, "university": "regional-2017.1"}, ctx=world.ctx())
    assert "rubrics" in refused.value.fields
