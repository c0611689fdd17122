"""sc's flags carry the names the API gives the same things; the spellings of before
are still taken, so that scripts keep working, but no longer offered."""

import pytest

from services.cli import parser


@pytest.mark.parametrize("command, old, new, dest", [
    (["audit"], "--base", "--base-id", "base_id"),
    (["audit"], "--actor", "--actor-id", "actor_id"),
    (["audit"], "--type", "--event-type", "event_type"),
    (["status", "--as-of", "2018-06-30"], "--base", "--base-id", "base_id"),
    (["import-declarations", "bases.csv"], "--batch", "--batch-id", "batch_id"),
])
def test_a_flag_named_as_the_api_and_its_old_spelling_set_the_same_value(command, old, new, dest):
    assert getattr(parser().parse_args([*command, new, "A"]), dest) == "A"
    assert getattr(parser().parse_args([*command, old, "B"]), dest) == "B"


def test_repeated_base_ids_of_a_token_gather_whichever_spelling_gave_them():
    assert parser().parse_args(["token", "--base-id", "a", "--base", "b"]).base_id == ["a", "b"]


def test_help_offers_only_the_apis_names(capsys):
    with pytest.raises(SystemExit):
        parser().parse_args(["audit", "--help"])
    shown = capsys.readouterr().out
    assert "--base-id" in shown and "--event-type" in shown
    assert "--base " not in shown and "--type " not in shown
