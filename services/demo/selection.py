"""Declaration batches and the scoring that selection and evaluation rounds share: the
DRC opens a batch, applicants declare, the DRC registers and assigns evaluators from
other cities, they score against the rubrics. A batch decided by government document
outside the platform is entered as such (``record_batch``); one selected here goes
through public notice (``notice.py``)."""

from datetime import datetime, timedelta

from services.evaluation.policy import BEIJING

from . import data
from .polling import wait_for
from .programme import DeclaredBase, Programme


def load_rubrics(p: Programme) -> None:
    """The dimensions of the rubric in force for each kind, in the rubric's order."""
    answer = p.api.get(p.drc, "evaluation", "/rubrics")
    by_version = {rubric["version"]: rubric for rubric in answer["rubrics"]}
    for kind, version in answer["in_force"].items():
        p.rubrics[kind] = [d["code"] for d in by_version[version]["dimensions"]]


def open_batch(p: Programme, name: str, quota: int) -> str:
    """Opens a batch whose window contains now, and waits until the registry, which
    accepts the declarations, has heard of it."""
    now = datetime.now(BEIJING)
    body = {"name": name, "quota": quota, "opens_at": (now - timedelta(hours=1)).isoformat(),
            "closes_at": (now + timedelta(days=60)).isoformat()}
    batch_id = p.api.post(p.drc, "evaluation", "/batches", body, expect=201)["batch_id"]
    p.batches[name] = batch_id
    wait_for(lambda: any(b["batch_id"] == batch_id
                         for b in p.api.get(p.drc, "registry", "/batches")["batches"]),
             what=f"the registry to hear that {name} is open")
    return batch_id


def declare(p: Programme, batch: str, declarations: list[dict]) -> None:
    """Each applicant declares its base in the registry; evaluation hears of each."""
    batch_id = p.batches[batch]
    for index, declaration in enumerate(declarations):
        applicant = p.cast.applicant(declaration["name"])
        body = data.with_contact(declaration, batch_id, len(p.bases) + index)
        base = p.api.post(applicant, "registry", "/bases", body, expect=201)
        p.bases[declaration["name"]] = DeclaredBase(
            base_id=base["base_id"], name=declaration["name"], kind=base["kind"], region=base["region"],
            competent_department=base["competent_department"], batch=batch, applicant=applicant)
    wait_for(lambda: p.api.get(p.drc, "evaluation", "/bases", batch_id=batch_id)["count"]
             == len(declarations), what=f"evaluation to receive the declarations of {batch}")


def register_evaluators(p: Programme, panel: list[tuple]) -> None:
    """The DRC registers the panel's evaluators it has not registered yet."""
    for name, organisation, city, county in panel:
        if name in p.evaluators:
            continue
        body = {"name": name, "organisation": organisation, "region": {"city": city, "county": county}}
        p.evaluators[name] = p.api.post(p.drc, "evaluation", "/evaluators", body,
                                        expect=201)["evaluator_id"]


def score(p: Programme, occasion: dict, bases: list[DeclaredBase], targets: dict,
          panel: list[tuple], comment: str) -> tuple[int, int]:
    """Two evaluators not from the base's city are assigned to each base and score it
    on its rubric. Returns the number of score sheets and of evaluators who scored."""
    register_evaluators(p, panel)
    sheets, scorers = 0, set()
    for index, base in enumerate(bases):
        for rank, (name, *_rest) in enumerate(data.panel_for(base.region["city"], panel, index)):
            evaluator_id = p.evaluators[name]
            p.api.post(p.drc, "evaluation", "/assignments",
                       {**occasion, "base_id": base.base_id, "evaluator_id": evaluator_id}, expect=201)
            sheet = data.score_sheet(base.kind, targets[base.name], rank, p.rubrics[base.kind])
            p.api.post(p.cast.evaluator(evaluator_id, name), "evaluation", "/scores",
                       {**occasion, "base_id": base.base_id, "scores": sheet, "comment": comment},
                       expect=201)
            sheets += 1
            scorers.add(name)
    return sheets, len(scorers)


def recorded(p: Programme, batch_id: str, expected: dict) -> bool:
    rows = p.api.get(p.drc, "registry", "/bases", batch_id=batch_id)["bases"]
    return {row["base_id"]: row["status"] for row in rows} == expected


def record_batch(p: Programme, batch: str, quota: int, declarations: list[dict],
                 annex: list[str], decision: dict, document: dict) -> None:
    """A batch decided by government document outside the platform (the first batch,
    2017-09-07): declared, closed, and its certification entered by the DRC from the
    document, with its date and 文号, without scores."""
    open_batch(p, batch, quota)
    declare(p, batch, declarations)
    p.step(f"{batch}：批次开放（名额 {quota} 个），申报 {len(declarations)} 个基地")
    batch_id = p.batches[batch]
    p.api.post(p.drc, "evaluation", f"/batches/{batch_id}/closing", expect=201)
    body = {**decision, "document": document,
            "base_ids": [p.bases[name].base_id for name in annex]}
    decisions = p.api.post(p.drc, "evaluation", f"/batches/{batch_id}/certification-of-record",
                           body, expect=201)["decisions"]
    p.decisions[batch] = decisions
    expected = {d["base_id"]: d["to_status"] for d in decisions}
    wait_for(lambda: recorded(p, batch_id, expected),
             what=f"the registry to record the certification of {batch}")
    certified = sum(status == "certified" for status in expected.values())
    p.step(f"{batch}：按{decision['document_number']}（{decision['effective_on']}）录入认定 "
           f"{certified} 个，未入选 {len(expected) - certified} 个，生效日期为文件日期")
