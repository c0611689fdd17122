"""A page of one service's audit starts after a position of its log and still knows
which base each event concerns, though the event that named the base came before."""

from services.backbone.eventstore.audit import audit_entries, merge_entries
from tests.support.evaluation_world import DRC, World


def test_a_page_names_the_base_of_events_whose_aggregate_named_it_on_an_earlier_page():
    world = World()
    _, (base_id,) = world.certified(1)
    everything = audit_entries(world.app, {"base_id": base_id}, DRC)
    adjusted = [e for e in everything if e["event"] == "Base.Adjusted"]
    assert adjusted, "certification is an adjustment of the base"
    after = adjusted[0]["position"] - 1  # the declaration that named the base is before
    page = audit_entries(world.app, {"base_id": base_id, "after": after}, DRC)
    assert [e["position"] for e in page] == [e["position"] for e in everything if e["position"] > after]
    assert all(e["base_id"] == base_id for e in page)


def test_pages_of_several_services_interleave_in_time_each_in_its_own_order():
    def entry(service, position, at):
        return {"service": service, "position": position, "at": at}

    registry = [entry("registry", 1, "2017-01-01T00:00:01"), entry("registry", 2, "2017-01-01T00:00:03")]
    funding = [entry("funding", 7, "2017-01-01T00:00:02"), entry("funding", 9, "2017-01-01T00:00:04")]
    merged = merge_entries([registry, funding], 3)
    assert [(e["service"], e["position"]) for e in merged] == [("registry", 1), ("funding", 7), ("registry", 2)]
