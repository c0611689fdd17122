"""Contact persons in BaseDeclared are shown to those who work with the base, withheld
(null, and listed in ``withheld``) from every other reader of events."""

from uuid import UUID, uuid4

import pytest

from services.backbone.kernel.context import Actor
from services.backbone.kernel.privacy import for_viewer
from tests.support.upstream import XIAOYI, Upstream, adjusted, base_declared

DECLARER = uuid4()


def declared_message():
    event = Upstream("registry").event("BaseDeclared", base_declared(base=XIAOYI), role="applicant",
                                       actor_id=DECLARER)
    return event.to_message()


def actor(role, **scope):
    return Actor(id=uuid4(), role=role, **scope)


def test_those_who_work_with_the_base_see_its_contacts():
    message = declared_message()
    base_id = message["payload"]["base_id"]
    for viewer in (actor("drc"), actor("service"), actor("county_government", region=("吕梁市", "孝义市")),
                   actor("competent_department", org="孝义市人民政府"),
                   Actor(id=DECLARER, role="applicant"), actor("applicant", base_ids=(UUID(base_id),))):
        assert for_viewer(message, viewer) is message, viewer.role


def test_everyone_else_gets_the_event_with_the_contacts_withheld():
    message = declared_message()
    for viewer in (actor("county_government", region=("吕梁市", "离石区")),
                   actor("competent_department", org="山西省教育厅"), actor("department", org="山西省财政厅"),
                   actor("funding_office"), actor("evaluator"), actor("ops"), actor("applicant")):
        shown = for_viewer(message, viewer)
        assert shown["payload"]["contacts"] is None and shown["withheld"] == ["payload.contacts"], viewer.role
        assert shown["payload"]["name"] == "孝义市" and "0351-7010000" not in str(shown)
    assert message["payload"]["contacts"][0]["phone"] == "0351-7010000"  # the original is untouched


def test_events_without_personal_data_are_passed_as_they_are():
    message = Upstream("evaluation").event("BaseAdjusted", adjusted(uuid4())).to_message()
    assert for_viewer(message, actor("funding_office")) is message


def test_a_copy_with_contacts_withheld_is_read_by_the_same_parser_when_its_reader_says_so():
    from services.contracts import ContractViolation, load_event

    shown = for_viewer(declared_message(), actor("funding_office"))
    event = load_event(shown, allow_withheld=True)
    assert event.payload["contacts"] is None and event.payload["name"] == "孝义市"
    assert event.withheld == ("payload.contacts",) and event.to_message() == shown
    with pytest.raises(ContractViolation, match="services read events whole"):
        load_event(shown)  # a service's consumer never applies such a copy


@pytest.mark.parametrize("change, reason", [
    (lambda m: m.update(withheld=["payload.name"]), "not a personal field"),
    (lambda m: m.update(withheld=["contacts"]), "not a personal field"),
    (lambda m: m.update(withheld=["payload.contacts"]), "must be null"),
    (lambda m: m["payload"].update(contacts=None), "contacts"),  # null but not declared withheld
])
def test_withholding_is_only_of_personal_fields_and_only_as_declared(change, reason):
    from services.contracts import ContractViolation, load_event

    message = declared_message()
    change(message)
    with pytest.raises(ContractViolation, match=reason):
        load_event(message, allow_withheld=True)
