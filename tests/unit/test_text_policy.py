"""One text policy for every name and free text a request carries: NFKC, invisible and
control characters refused naming the field, whitespace collapsed, and names compared
by a key, so that the variants of one name the probe declared one after another are one
name or refused."""

import re

import pytest
from marshmallow import ValidationError, fields, validate

from services.contracts.fields import City
from services.contracts.text import Text, TextRefused, comparison_key, normalise_text
from services.registry.schemas import DeclareRequest
from tests.support.fixtures import declaration
from tests.support.request_schemas import leaf_fields, request_schemas

NAME = "ABC科技有限公司"


@pytest.mark.parametrize("variant", ["ＡＢＣ科技有限公司", "abc科技有限公司", " ABC 科技有限公司 ",
                                     "ABC科技有限公司\u3000"])
def test_variants_of_one_name_have_one_comparison_key(variant):
    assert comparison_key(normalise_text(variant)) == comparison_key(NAME)


@pytest.mark.parametrize("variant, character", [
    ("ABC\u200b科技有限公司", "U+200B ZERO WIDTH SPACE"),
    ("\u202eABC科技有限公司", "U+202E RIGHT-TO-LEFT OVERRIDE"),
    ("ABC科技有限公司\ufeff", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
    ("ABC科技有限公司\x00", "U+0000"),
    ("ABC科技有限公司\ud800", "lone surrogate"),
])
def test_invisible_control_and_surrogate_characters_are_refused_saying_which(variant, character):
    with pytest.raises(TextRefused, match=re.escape(character)):
        normalise_text(variant)


def test_a_line_break_is_refused_in_a_name_and_kept_in_free_text_with_lines():
    with pytest.raises(TextRefused, match="line break"):
        normalise_text("ABC科技有限公司\r\nBcc: x@example.cn")
    assert normalise_text("第一条  措施\r\n第二条\t措施 ", multiline=True) == "第一条 措施\n第二条 措施"


def test_chinese_punctuation_stays_as_written_and_compares_as_its_ascii_twin():
    """NFKC would make '整改到位，保留资格' '整改到位,保留资格': full-width punctuation is
    how Chinese is written, so only letters, digits and the like are folded."""
    assert normalise_text("启迪（太原）ＡＢＣ１２　科技：有限公司") == "启迪（太原）ABC12 科技：有限公司"
    assert normalise_text("基地已申报，重放认定；见附件！", multiline=True) == "基地已申报，重放认定；见附件！"
    assert comparison_key("启迪（太原）科技园") == comparison_key("启迪(太原)科技园")


def test_names_logged_before_the_policy_compare_without_their_invisible_characters():
    assert comparison_key("ABC\u200b科技有限公司\ufeff") == comparison_key("abc 科技有限公司")
    assert comparison_key("山西大学（太原）") == comparison_key("山西大学(太原)")


def test_a_declaration_request_normalises_its_names_and_refuses_naming_the_field():
    body = {**declaration("9d3e7c52-1f0a-4c7b-8e21-2017a0000001", name="ＡＢＣ科技有限公司"),
            "competent_department": " 山西省 科学技术厅 "}
    loaded = DeclareRequest().load(body)
    assert (loaded["name"], loaded["competent_department"]) == (NAME, "山西省 科学技术厅")
    for field, value in (("name", "ABC\ud800"), ("competent_department", "\u202e厅")):
        with pytest.raises(ValidationError) as refused:
            DeclareRequest().load({**body, field: value})
        assert list(refused.value.messages) == [field]
    with pytest.raises(ValidationError) as refused:
        DeclareRequest().load({**body, "contacts": [{**body["contacts"][0], "name": "张\u200b三"}]})
    assert "contacts" in refused.value.messages


def test_every_text_field_of_every_request_schema_is_under_the_policy_or_a_closed_list():
    """A string a request carries is a name or free text under the policy, or one of a
    list, or of a pattern: nothing else reaches the store as typed."""
    loose = []
    for schema in request_schemas():
        for path, field in leaf_fields(schema):
            if not isinstance(field, fields.String) or isinstance(
                    field, (Text, City, fields.UUID, fields.Email, fields.URL)):
                continue
            if not any(isinstance(v, (validate.OneOf, validate.Regexp)) for v in field.validators):
                loose.append(f"{schema.__name__}.{path}")
    assert loose == []
