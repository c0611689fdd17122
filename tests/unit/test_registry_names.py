"""Who declares under which name: names compared by key, through a key index folded from
the log (ids derived as they always were), an applicant only in its own organisation's
name, the DRC for any unit and able to hand a declaration to the unit's applicant."""

from datetime import datetime, timedelta, timezone
from uuid import uuid4

import pytest

from services.backbone.kernel.context import Actor, stable_id
from services.backbone.kernel.errors import Conflict, Forbidden
from services.registry.application import RegistryApplication
from services.registry.domain import (Base, DeclarationBatch, DeclaringUnit, EarlierDeclaration,
                                      check_not_declared_elsewhere, normalize_name)
from tests.support.fixtures import declaration

DRC = Actor(id=uuid4(), role="drc", name="省发展改革委")
FULL_WIDTH = "ＡＢＣ科技有限公司"


def applicant(org: str | None) -> Actor:
    return Actor(id=uuid4(), role="applicant", name=org or "", org=org)


@pytest.fixture
def app():
    return RegistryApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})


def open_batch(app, name="2017年第一批") -> DeclarationBatch:
    now = datetime.now(timezone.utc)
    batch = DeclarationBatch(batch_id=uuid4(), name=name, opens_at=now - timedelta(days=1),
                             closes_at=now + timedelta(days=30), quota=12, ctx=DRC.context())
    app.save(batch)
    return batch


def declare(app, batch, name, actor):
    body = {**declaration(batch.id, name=name), "batch_id": batch.id}
    return app.declare(**body, actor=actor, ctx=actor.context())


def declared_by_the_old_code(app, batch, name) -> Base:
    """What the registry wrote before names were compared by key: the name as typed, the
    unit's id derived from ``normalize_name``."""
    author = applicant(name)
    base = Base(**{**declaration(batch.id, name=name), "batch_id": batch.id},
                declared_by=author.id, ctx=author.context())
    unit = DeclaringUnit._create(DeclaringUnit.FirstDeclared, name=name, declaration=base.id,
                                 ctx=author.context(),
                                 id=stable_id("declaring-unit", normalize_name(name)))
    app.save(unit, base)
    return base


def test_a_full_width_name_stored_before_the_change_blocks_its_ascii_twin(app):
    first, later = open_batch(app), open_batch(app, "2017年第二批")
    old = declared_by_the_old_code(app, first, FULL_WIDTH)
    assert old.id == Base.create_id(FULL_WIDTH, first.id)  # its id is as it was

    with pytest.raises(Conflict, match="already declared in batch 2017年第一批"):
        declare(app, first, "ABC科技有限公司", applicant("ABC科技有限公司"))
    with pytest.raises(Conflict, match="not decided yet"):
        declare(app, later, "abc科技有限公司", DRC)
    assert [e.originator_id for _, e in app.all_events() if isinstance(e, Base.Declared)] == [old.id]


def test_a_unit_known_by_its_old_id_records_its_next_declaration(app):
    first, later = open_batch(app), open_batch(app, "2018年第一批")
    old = declared_by_the_old_code(app, first, FULL_WIDTH)
    old.record_adjustment(from_status="declared", to_status="not_selected", reason="未入选",
                          basis="selection", decision={}, ctx=DRC.context())
    app.save(old)
    again = declare(app, later, "ABC科技有限公司", applicant("abc科技有限公司"))
    unit = app.repository.get(stable_id("declaring-unit", normalize_name(FULL_WIDTH)))
    assert unit.declarations == [old.id, again.id]
    assert again.id == Base.create_id("ABC科技有限公司", later.id)


def test_an_applicant_declares_only_in_its_own_organisations_name(app):
    batch = open_batch(app)
    with pytest.raises(Forbidden, match="its own organisation"):
        declare(app, batch, "山西大学", applicant("另一单位"))
    with pytest.raises(Forbidden, match="must name its organisation"):
        declare(app, batch, "山西大学", applicant(None))
    university = applicant("山西大学")
    assert declare(app, batch, "山西大学", university).declared_by == university.id


def test_the_drc_declares_for_a_unit_and_hands_the_declaration_to_its_applicant(app):
    batch = open_batch(app)
    base = declare(app, batch, "山西大学", DRC)
    university = applicant("山西大学")
    assert not base.is_represented_by(university)

    handed = app.reassign(base.id, applicant_id=university.id, reason="代为申报，移交本单位",
                          actor=DRC, ctx=DRC.context())
    assert handed.is_represented_by(university)
    entry = app.base_history(base.id)[-1]
    assert (entry["event"], entry["actor"]["role"], entry["data"]["reason"]) == (
        "Reassigned", "drc", "代为申报，移交本单位")
    with pytest.raises(Forbidden):
        app.reassign(base.id, applicant_id=uuid4(), reason="x", actor=university,
                     ctx=university.context())


def test_one_declaration_per_unit_is_a_pure_rule_of_the_domain():
    batch, other = uuid4(), uuid4()
    check_not_declared_elsewhere("山西大学", batch, [EarlierDeclaration(other, "2016年", "not_selected")])
    for earlier, says in ((EarlierDeclaration(batch, "2017年第一批", "not_selected"), "already declared"),
                          (EarlierDeclaration(other, "2016年", "declared"), "not decided yet"),
                          (EarlierDeclaration(other, "2016年", "warned"), "a demonstration base")):
        with pytest.raises(Conflict, match=says):
            check_not_declared_elsewhere("山西大学", batch, [earlier])
