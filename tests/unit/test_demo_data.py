"""The demo's data says what the story needs it to say: the annex's twelve outrank the
other declarations, evaluators never score a base of their own city, each sheet's
weighted score is the intended one, tranches add up, grades lead where the story goes,
and the webhook endpoint checks signatures as the README tells receivers to."""

import hashlib
import hmac
import time
from decimal import Decimal

from services.demo import data
from services.demo.receiver import signature_ok
from services.evaluation.catalogue import default_catalogue
from services.registry.fixtures import first_batch

RUBRICS = {"regional": "regional-2017.1", "university": "university-2017.1",
           "enterprise": "enterprise-2017.1"}


def test_the_twelve_of_the_annex_outrank_every_other_first_batch_declaration():
    scores = data.SELECTION_SCORES
    lowest_of_annex = min(Decimal(scores[base["name"]]) for base in first_batch())
    assert all(Decimal(scores[base["name"]]) < lowest_of_annex for base in data.FIRST_BATCH_OTHERS)
    assert len({scores[d["name"]] for d in data.first_batch_declarations()}) == 16  # no ties


def test_no_evaluator_scores_a_base_of_their_own_city():
    declarations = data.first_batch_declarations() + data.SECOND_BATCH_DECLARATIONS
    for panel in (data.SELECTION_PANEL, data.THIRD_PARTY_PANEL, data.INSPECTION_PANEL):
        for index, declaration in enumerate(declarations):
            chosen = data.panel_for(declaration["region"]["city"], panel, index)
            assert len(chosen) == 2
            assert all(city != declaration["region"]["city"] for _, _, city, _ in chosen)


def test_every_declaration_and_evaluator_of_the_demo_names_a_city_the_api_accepts():
    from uuid import uuid4

    from services.evaluation.schemas import EvaluatorRequest
    from services.registry.schemas import DeclareRequest

    for index, declaration in enumerate(data.first_batch_declarations() + data.SECOND_BATCH_DECLARATIONS):
        DeclareRequest().load(data.with_contact(declaration, str(uuid4()), index))
    for panel in (data.SELECTION_PANEL, data.THIRD_PARTY_PANEL, data.INSPECTION_PANEL):
        for name, organisation, city, county in panel:
            EvaluatorRequest().load({"name": name, "organisation": organisation,
                                     "region": {"city": city, "county": county}})


def test_the_mean_of_the_two_sheets_is_the_intended_score_on_every_rubric():
    catalogue = default_catalogue()
    for kind, version in RUBRICS.items():
        rubric = catalogue.rubric(version)
        for target in ("55.0", "79.5", "92.4"):
            sheets = [data.score_sheet(kind, target, rank, list(rubric.codes)) for rank in (0, 1)]
            weighted = [rubric.weighted({k: Decimal(v) for k, v in sheet.items()}) for sheet in sheets]
            assert sum(weighted) / 2 == Decimal(target), (kind, target)


def test_the_2018_scores_lead_to_every_kind_of_adjustment():
    rubric = default_catalogue().rubric("regional-2017.1")
    grades = {name: rubric.grade(Decimal(score)) for name, score in data.THIRD_PARTY_SCORES.items()}
    assert set(grades.values()) == {"excellent", "good", "qualified", "unqualified"}
    assert rubric.grade(Decimal(data.INSPECTION_SCORES["交城县"])) == "unqualified"
    assert grades[data.RECTIFIED] == "unqualified"


def test_tranches_add_up_and_the_envelope_holds_every_allocation():
    for amount in data.ALLOCATIONS.values():
        assert sum(Decimal(t["amount"]) for t in data.tranches(amount)) == Decimal(amount)
    assert sum(Decimal(a) for a in data.ALLOCATIONS.values()) <= Decimal(data.ENVELOPE_TOTAL)
    assert set(data.ALLOCATIONS) == {base["name"] for base in first_batch()}


def signed(secret: str, body: bytes, at: float) -> tuple[str, str]:
    timestamp = str(int(at))
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return timestamp, "sha256=" + digest


def test_the_webhook_endpoint_accepts_only_fresh_requests_signed_with_the_secret():
    secret, body, now = "s" * 32, '{"title": "撤销"}'.encode(), time.time()
    timestamp, signature = signed(secret, body, now)
    assert signature_ok(secret, timestamp, body, signature, now=now)
    assert not signature_ok(secret, timestamp, body + b" ", signature, now=now)
    assert not signature_ok("t" * 32, timestamp, body, signature, now=now)
    old, old_signature = signed(secret, body, now - 600)
    assert not signature_ok(secret, old, body, old_signature, now=now)
    assert not signature_ok(secret, "not-a-time", body, signature, now=now)
