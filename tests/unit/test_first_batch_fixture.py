"""The first batch fixture is the annex of the seed: 9 regional, 2 university, 1 enterprise."""

from collections import Counter
from pathlib import Path
from uuid import uuid4

from services.registry.fixtures import first_batch, first_batch_declarations
from services.registry.schemas import DeclareRequest

SEED = Path(__file__).resolve().parents[2] / "docs" / "seed" / "shanxi-2017-demonstration-bases.txt"


def test_the_first_batch_has_the_twelve_bases_of_the_annex():
    bases = first_batch()
    assert len(bases) == 12
    assert Counter(b["kind"] for b in bases) == {"regional": 9, "university": 2, "enterprise": 1}
    annex = SEED.read_text(encoding="utf-8").split("附件：", 2)[-1]
    for base in bases:
        assert base["name"] in annex, base["name"]


def test_every_fixture_declaration_is_valid():
    for declaration in first_batch_declarations(uuid4()):
        DeclareRequest().load(declaration)
