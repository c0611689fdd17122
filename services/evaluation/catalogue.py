"""The rubric and policy files of this repository, loaded and checked once per process.

Versions are file names: ``rubrics/university-2017.1.yaml`` holds version
``university-2017.1``. A published version is never edited; a change is a new file,
so every score and decision in the log keeps meaning what it meant when it was made.
"""

from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Callable, Mapping, TypeVar

import yaml

from services.backbone.kernel.errors import field_error
from services.contracts.vocabulary import KINDS

from .policy import AdjustmentPolicy
from .rubric import Rubric, RubricError

RUBRICS_DIR = Path(__file__).with_name("rubrics")
POLICIES_DIR = Path(__file__).with_name("policies")

T = TypeVar("T")


def load_file(path: Path, build: Callable[..., T]) -> T:
    """Reads one data file and builds it, refusing a version that is not its file name."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise RubricError(f"{path.name}: not valid YAML: {error}") from None
    built = build(data, source=path.name)
    if built.version != path.stem:
        raise RubricError(f"{path.name}: version {built.version!r} must be the file's name "
                          f"({path.stem!r})")
    return built


@dataclass(frozen=True)
class Catalogue:
    """Every rubric and adjustment policy version, by version."""

    rubrics: Mapping[str, Rubric]
    policies: Mapping[str, AdjustmentPolicy]

    def rubric(self, version: str) -> Rubric:
        if version not in self.rubrics:
            raise field_error("rubric_version", f"there is no rubric {version!r} "
                                                f"(known: {', '.join(sorted(self.rubrics))})")
        return self.rubrics[version]

    def policy(self, version: str) -> AdjustmentPolicy:
        if version not in self.policies:
            raise field_error("policy_version", f"there is no adjustment policy {version!r} "
                                                f"(known: {', '.join(sorted(self.policies))})")
        return self.policies[version]

    def check_rubrics(self, rubrics: Mapping[str, str]) -> None:
        """A batch or round names an existing rubric of the right kind for every kind."""
        if set(rubrics) != set(KINDS):
            raise RubricError(f"evaluation.rubrics must name one rubric for each kind: {', '.join(KINDS)}")
        for kind, version in rubrics.items():
            if version not in self.rubrics or self.rubrics[version].kind != kind:
                raise RubricError(f"evaluation.rubrics.{kind}: no rubric {version!r} for {kind} bases")

    def check_in_force(self, rubrics: Mapping[str, str], policy_version: str) -> None:
        """The versions the configuration puts in force exist and fit their kinds; they
        score declarations too, which have no annual figures, so none scores figures
        (a round names such a rubric when it opens)."""
        self.check_rubrics(rubrics)
        for kind, version in rubrics.items():
            if self.rubrics[version].quantitative:
                raise RubricError(f"evaluation.rubrics.{kind}: {version} scores annual figures, "
                                  "which declarations do not have; name it when opening a round")
        if policy_version not in self.policies:
            raise RubricError(f"evaluation.adjustment_policy: no policy {policy_version!r}")

    def with_policy(self, policy: AdjustmentPolicy) -> "Catalogue":
        """This catalogue with one more policy version (a draft to compare, in what-if)."""
        return replace(self, policies={**self.policies, policy.version: policy})


def load_catalogue(rubrics_dir: Path = RUBRICS_DIR, policies_dir: Path = POLICIES_DIR) -> Catalogue:
    rubrics = {}
    for path in sorted(rubrics_dir.glob("*.yaml")):
        rubric = load_file(path, Rubric.from_data)
        if not rubric.version.startswith(f"{rubric.kind}-"):
            raise RubricError(f"{path.name}: a {rubric.kind} rubric's version starts with "
                              f"'{rubric.kind}-'")
        rubrics[rubric.version] = rubric
    policies = {p.version: p for p in (load_file(path, AdjustmentPolicy.from_data)
                                       for path in sorted(policies_dir.glob("*.yaml")))}
    return Catalogue(rubrics=rubrics, policies=policies)


@lru_cache(maxsize=1)
def default_catalogue() -> Catalogue:
    """The repository's own files (read once: they do not change while running)."""
    return load_catalogue()
