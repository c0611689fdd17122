"""docs/asyncapi.json: generated from the contracts, valid for the AsyncAPI project's own
parser, and saying what the events really carry (their examples pass its schemas)."""

import json
import re
import subprocess
from copy import deepcopy
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from services.contracts import CATALOG
from services.contracts.asyncapi import document, message_name, render
from services.contracts.docs import example_message

ROOT = Path(__file__).resolve().parents[2]
CHECKER = ROOT / "infra" / "asyncapi" / "validate.mjs"


def parse_with_asyncapi(tmp_path, doc: dict) -> tuple[int, list[dict]]:
    if not (CHECKER.parent / "node_modules" / "@asyncapi" / "parser").is_dir():
        pytest.fail("the AsyncAPI parser is not installed: run make frontend")
    path = tmp_path / "asyncapi.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    done = subprocess.run(["node", str(CHECKER), str(path)], capture_output=True, text=True,
                          timeout=60, cwd=CHECKER.parent)
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(done.stdout)


def message_validator(doc: dict, event_type: str, version: int) -> Draft202012Validator:
    """A validator of the whole message of this event and version; the document is the
    schema's root so that its ``#/components/...`` references resolve."""
    root = {**doc, "$ref": f"#/components/messages/{message_name(event_type, version)}/payload"}
    return Draft202012Validator(root, format_checker=FormatChecker())


def test_the_committed_document_is_the_one_the_contracts_generate():
    committed = (ROOT / "docs" / "asyncapi.json").read_text(encoding="utf-8")
    assert committed == render(), "run: sc docs-asyncapi > docs/asyncapi.json"


def test_the_asyncapi_parser_finds_no_error_nor_warning(tmp_path):
    returncode, diagnostics = parse_with_asyncapi(tmp_path, document())
    assert returncode == 0
    assert [d for d in diagnostics if d["severity"] in ("error", "warning")] == []


def test_the_asyncapi_parser_refuses_a_document_that_breaks_its_specification(tmp_path):
    broken = document()
    del broken["channels"]["BaseAdjusted"]["bindings"]["amqp"]["exchange"]["type"]
    broken["operations"]["publishBaseAdjusted"]["action"] = "publish"  # AsyncAPI 2's word
    returncode, diagnostics = parse_with_asyncapi(tmp_path, broken)
    assert returncode == 1
    paths = {d["path"] for d in diagnostics if d["severity"] == "error"}
    assert "operations/publishBaseAdjusted/action" in paths


def test_every_event_and_version_has_a_channel_message_and_the_current_one_is_published():
    doc = document()
    for event_type, spec in CATALOG.items():
        channel = doc["channels"][event_type]
        assert channel["address"] == event_type
        assert channel["bindings"]["amqp"]["exchange"]["name"] == f"sc.{spec.source}.events"
        assert set(channel["messages"]) == {f"v{v}" for v in spec.schemas}
        published = doc["operations"][f"publish{event_type}"]["messages"]
        assert published == [{"$ref": f"#/channels/{event_type}/messages/v{spec.current_version}"}]


def test_every_example_is_a_valid_message_of_its_current_version():
    doc = document()
    for event_type, spec in CATALOG.items():
        [example] = doc["components"]["messages"][message_name(event_type, spec.current_version)]["examples"]
        message_validator(doc, event_type, spec.current_version).validate(example["payload"])


def test_a_signed_message_as_the_broker_carries_it_passes_the_schema():
    message = example_message()
    message_validator(document(), message["type"], message["schema_version"]).validate(message)


def test_money_is_a_decimal_string_and_a_float_or_a_missing_cent_is_refused():
    doc = document()
    version = CATALOG["FundingAllocated"].current_version
    validator = message_validator(doc, "FundingAllocated", version)
    message = deepcopy(doc["components"]["messages"][f"FundingAllocatedV{version}"]["examples"][0]["payload"])
    assert validator.is_valid(message)
    for amount in (1800000.0, "1800000", 1800000):
        message["payload"]["amount"] = amount
        assert not validator.is_valid(message), amount


def test_a_message_of_another_version_or_with_an_unknown_field_is_refused():
    doc = document()
    message = example_message()
    validator = message_validator(doc, message["type"], message["schema_version"])
    assert not validator.is_valid({**message, "schema_version": message["schema_version"] + 1})
    assert not validator.is_valid({**message, "payload": {**message["payload"], "extra": 1}})


def test_docs_events_md_names_every_field_of_every_event_the_asyncapi_document_names():
    """events.md is rendered from the same catalogue; the two must not tell different
    stories of an event's fields."""
    text = (ROOT / "docs" / "events.md").read_text(encoding="utf-8")
    sections = dict(re.findall(r"^## (\w+)\n(.*?)(?=^## |\Z)", text, flags=re.M | re.S))
    doc = document()
    for event_type, spec in CATALOG.items():
        payload = doc["components"]["schemas"][message_name(event_type, spec.current_version)]
        listed = re.findall(r"^\| `(\w+)` \|", sections[event_type], flags=re.M)
        assert listed == list(payload["properties"]), event_type
        assert f"schema version: {spec.current_version}" in sections[event_type]
