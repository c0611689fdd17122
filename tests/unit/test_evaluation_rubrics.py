"""Rubrics and adjustment policies are data files that must add up: a file that does
not is refused when loaded, with a message naming the file and the fault. Score sheets
are checked against the rubric: every dimension, 0 to 100, Decimal, two places."""

import copy
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from services.backbone.kernel.errors import RuleViolation
from services.contracts.vocabulary import CONSTRUCTION_TASKS, KINDS
from services.evaluation.catalogue import RUBRICS_DIR, load_catalogue, load_file
from services.evaluation.policy import AdjustmentPolicy
from services.evaluation.rubric import Rubric, RubricError

UNIVERSITY = yaml.safe_load((RUBRICS_DIR / "university-2017.1.yaml").read_text(encoding="utf-8"))
POLICY = yaml.safe_load((RUBRICS_DIR.parent / "policies" / "adjustment-2018.1.yaml")
                        .read_text(encoding="utf-8"))


def university(**changes) -> dict:
    data = copy.deepcopy(UNIVERSITY)
    data.update(changes)
    return data


def refusal(data, build=Rubric.from_data) -> str:
    with pytest.raises(RubricError) as caught:
        build(data, source="test.yaml")
    message = str(caught.value)
    assert message.startswith("test.yaml: ")
    return message


def test_the_repository_has_one_valid_rubric_per_kind_with_the_seeds_construction_tasks():
    catalogue = load_catalogue()
    assert {rubric.kind for rubric in catalogue.rubrics.values()} == set(KINDS)
    for rubric in catalogue.rubrics.values():
        assert rubric.codes == tuple(CONSTRUCTION_TASKS[rubric.kind])
        assert sum(d.weight for d in rubric.dimensions) + sum(q.weight for q in rubric.quantitative) == 100
        assert all(d.indicators for d in rubric.dimensions)
    assert "adjustment-2018.1" in catalogue.policies


def test_weights_that_do_not_add_up_to_100_are_refused():
    data = university()
    data["dimensions"][0]["weight"] = 20
    assert "weights add up to 95, not 100" in refusal(data)


def test_a_missing_or_foreign_dimension_is_refused_naming_it():
    data = university()
    data["dimensions"][3]["code"] = "culture"
    message = refusal(data)
    assert "missing support_services" in message
    assert "not tasks of a university base: culture" in message


def test_a_dimension_listed_twice_is_refused():
    data = university()
    data["dimensions"].append(dict(data["dimensions"][0], weight=1))
    assert "listed twice: talent_cultivation" in refusal(data)


@pytest.mark.parametrize("thresholds", [
    {"excellent": 80, "good": 90, "qualified": 60},
    {"excellent": 90, "good": 80, "qualified": 80},
    {"excellent": 101, "good": 80, "qualified": 60},
    {"excellent": 90, "good": 80, "qualified": 0},
])
def test_thresholds_out_of_order_are_refused(thresholds):
    assert "100 >= excellent > good > qualified > 0" in refusal(university(thresholds=thresholds))


def test_thresholds_must_name_each_passing_grade():
    assert "thresholds must give exactly" in refusal(university(thresholds={"excellent": 90}))


def test_a_float_weight_is_refused_but_a_quoted_decimal_is_read_exactly():
    data = university()
    data["dimensions"][0]["weight"] = 12.5
    assert "integer or a quoted decimal" in refusal(data)
    data["dimensions"][0]["weight"] = "12.5"
    data["dimensions"][1]["weight"] = "42.5"
    assert Rubric.from_data(data).dimensions[0].weight == Decimal("12.5")


def test_an_unknown_kind_is_refused():
    assert "unknown kind 'hospital'" in refusal(university(kind="hospital"))


def test_a_files_version_must_be_its_name(tmp_path: Path):
    path = tmp_path / "university-2017.2.yaml"
    path.write_text(yaml.safe_dump(UNIVERSITY, allow_unicode=True), encoding="utf-8")
    with pytest.raises(RubricError, match="must be the file's name"):
        load_file(path, Rubric.from_data)


def test_a_broken_file_stops_the_catalogue_from_loading(tmp_path: Path):
    data = university(version="university-2099.1")
    data["dimensions"].pop()
    (tmp_path / "university-2099.1.yaml").write_text(yaml.safe_dump(data, allow_unicode=True),
                                                    encoding="utf-8")
    with pytest.raises(RubricError, match="university-2099.1.yaml: .*missing support_services"):
        load_catalogue(rubrics_dir=tmp_path, policies_dir=tmp_path)


def rubric() -> Rubric:
    return Rubric.from_data(UNIVERSITY)


def test_the_weighted_score_is_the_exact_weighted_mean_of_the_dimensions():
    scores = {"talent_cultivation": Decimal("90"), "technology_transfer": Decimal("85.5"),
              "student_entrepreneurship": Decimal("70.25"), "support_services": Decimal("60")}
    # (90×25 + 85.5×30 + 70.25×25 + 60×20) / 100 = (2250 + 2565 + 1756.25 + 1200) / 100
    assert rubric().weighted(scores) == Decimal("77.7125")


@pytest.mark.parametrize("score, grade", [("90", "excellent"), ("89.99", "good"), ("80", "good"),
                                          ("60", "qualified"), ("59.99", "unqualified")])
def test_grades_follow_the_thresholds_inclusively(score, grade):
    assert rubric().grade(Decimal(score)) == grade


def sheet_errors(**changes) -> dict:
    scores = {code: Decimal("80") for code in CONSTRUCTION_TASKS["university"]}
    scores.update(changes)
    scores = {k: v for k, v in scores.items() if v is not None}
    with pytest.raises(RuleViolation) as caught:
        rubric().check_scores(scores)
    return caught.value.fields["scores"]


def test_a_sheet_must_score_every_dimension_and_only_those():
    errors = sheet_errors(support_services=None, culture=Decimal("50"))
    assert errors["support_services"] == ["Missing score for this dimension."]
    assert "Not a dimension" in errors["culture"][0]


@pytest.mark.parametrize("value, message", [(Decimal("100.01"), "between 0 and 100"),
                                            (Decimal("-1"), "between 0 and 100"),
                                            (Decimal("80.125"), "two decimal places"),
                                            (80.5, "floats are not accepted"),
                                            (Decimal("NaN"), "between 0 and 100")])
def test_a_score_is_a_decimal_from_0_to_100_with_two_places(value, message):
    assert message in sheet_errors(talent_cultivation=value)["talent_cultivation"][0]


def policy(**changes) -> dict:
    data = copy.deepcopy(POLICY)
    data.update(changes)
    return data


def test_a_policy_that_leaves_a_grade_undecided_is_refused():
    outcomes = dict(POLICY["outcomes"])
    del outcomes["good"]
    assert "leaves grades undecided: good" in refusal(policy(outcomes=outcomes),
                                                      AdjustmentPolicy.from_data)


def test_a_policy_cannot_decide_a_status_that_follows_no_evaluation():
    outcomes = dict(POLICY["outcomes"], excellent="certified")
    assert "not a decision after evaluation" in refusal(policy(outcomes=outcomes),
                                                        AdjustmentPolicy.from_data)


def test_a_policy_needs_a_whole_number_of_rectification_days():
    assert "rectification_days" in refusal(policy(rectification_days=0), AdjustmentPolicy.from_data)
    assert "rectification_days" in refusal(policy(rectification_days=30.5), AdjustmentPolicy.from_data)


def test_the_versions_in_force_must_exist_for_every_kind():
    catalogue = load_catalogue()
    in_force = {"regional": "regional-2017.1", "university": "university-2017.1",
                "enterprise": "enterprise-2017.1"}
    catalogue.check_in_force(in_force, "adjustment-2018.1")
    with pytest.raises(RubricError, match="evaluation.rubrics.enterprise: no rubric"):
        catalogue.check_in_force({**in_force, "enterprise": "university-2017.1"}, "adjustment-2018.1")
    with pytest.raises(RubricError, match="one rubric for each kind"):
        catalogue.check_in_force({"regional": "regional-2017.1"}, "adjustment-2018.1")
    with pytest.raises(RubricError, match="no policy 'adjustment-2030.1'"):
        catalogue.check_in_force(in_force, "adjustment-2030.1")


@pytest.mark.parametrize("key, value, reason", [
    ("deadline_missed", "retained", "deadline_missed must be revoked"),
    ("deadline_missed", "warned", "deadline_missed must be revoked"),
    ("rectification_accepted", "recommended_national", "rectification_accepted must be retained"),
    ("rectification_accepted", "revoked", "rectification_accepted must be retained"),
])
def test_a_policy_contradicting_the_programme_on_deadlines_and_rectification_is_refused(key, value, reason):
    assert reason in refusal(policy(**{key: value}), AdjustmentPolicy.from_data)


@pytest.mark.parametrize("changes, reason", [
    ({"outcomes": {**POLICY["outcomes"], "unqualified": "retained"}},
     "outcomes.unqualified is 'retained': a base graded 不合格 is warned or revoked"),
    ({"when_warned": {"unqualified": "recommended_national"}},
     "when_warned.unqualified is 'recommended_national'"),
    ({"outcomes": {**POLICY["outcomes"], "excellent": "warned"}},
     "outcomes.excellent (warned) is worse than outcomes.good (retained)"),
    ({"outcomes": {**POLICY["outcomes"], "unqualified": "revoked"},
      "when_warned": {"unqualified": "warned"}},
     "when_warned.unqualified (warned) is better than outcomes.unqualified (revoked)"),
])
def test_a_policy_whose_decisions_contradict_the_grades_is_refused(changes, reason):
    assert reason in refusal(policy(**changes), AdjustmentPolicy.from_data)


def test_the_repositorys_policies_keep_the_programmes_rules():
    for version in ("adjustment-2018.1", "adjustment-2019.1"):
        loaded = load_catalogue().policies[version]
        assert (loaded.deadline_missed, loaded.rectification_accepted) == ("revoked", "retained")
