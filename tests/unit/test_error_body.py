"""The error body from the messages marshmallow and the platform's own fields really
give: each field's dotted path, a stable code and Chinese a provincial official reads
(if marshmallow's wording changes, the codes fall back to ``invalid`` and this fails)."""

from uuid import uuid4

from marshmallow import ValidationError

from services.backbone.web.error_body import error_body
from services.evaluation.schemas import ScoreRequest
from services.registry.schemas import ListQuery


def _refusal(schema, data) -> dict:
    try:
        schema.load(data)
    except ValidationError as error:
        return error_body("bad_request", "The request is not valid.", error.messages)["error"]
    raise AssertionError("loaded")


def _by_field(error) -> dict:
    return {entry["field"]: (entry["code"], entry["message"]) for entry in error["errors"]}


def test_a_float_score_names_its_dotted_path_and_says_why_in_chinese():
    error = _refusal(ScoreRequest(), {"batch_id": str(uuid4()), "base_id": str(uuid4()),
                                      "scores": {"talent_cultivation": 85.5}, "extra": 1})
    found = _by_field(error)
    assert found["scores.talent_cultivation.value"] == (
        "float_not_accepted", "不接受浮点数，请填写十进制字符串（如 \"1000.00\"）")
    assert found["extra"] == ("unknown_field", "不接受此字段")
    assert error["code"] == "bad_request" and error["message"].startswith("请求内容不符合要求：")
    assert "scores" in error["fields"]  # the nested messages stay for the clients that read them


def test_missing_choices_ranges_and_types_each_have_their_code():
    error = _refusal(ListQuery(), {"kind": "college", "limit": "0", "batch_id": "nope", "city": "太原"})
    found = _by_field(error)
    assert found["kind"] == ("not_in_choices", "取值不在允许范围内：regional, university, enterprise")
    assert found["limit"] == ("out_of_range", "超出允许范围：应在 1 至 5000 之间")
    assert found["batch_id"] == ("invalid_uuid", "编号格式不正确")
    assert found["city"][0] == "not_in_choices"
    missing = _by_field(_refusal(ScoreRequest(), {}))
    assert missing["base_id"] == ("missing", "缺少必填字段")


def test_a_rule_refusing_a_field_keeps_the_errors_code_and_says_it_once():
    error = error_body("rule_violation", "name: not decided yet", {"name": ["not decided yet"]})["error"]
    assert error["message"] == "不符合办理规则" and error["detail"] == "name: not decided yet"
    assert error["errors"] == [{"field": "name", "code": "rule_violation", "message": "不符合办理规则",
                                "detail": "not decided yet"}]


def test_an_error_without_fields_has_code_message_and_detail_only():
    assert error_body("unauthenticated", "No bearer token.") == {"error": {
        "code": "unauthenticated", "message": "未登录或令牌无效，请重新登录", "detail": "No bearer token."}}


def test_every_platform_error_has_its_own_chinese():
    """An error class added beside the body (the public notice's 429) says what it is in
    Chinese, rather than falling back to a bad request's message."""
    from services.backbone.kernel import errors
    from services.backbone.web.error_body import ERROR_MESSAGES_ZH

    codes = {cls.code for cls in vars(errors).values()
             if isinstance(cls, type) and issubclass(cls, errors.PlatformError)}
    assert codes - set(ERROR_MESSAGES_ZH) == set()
    assert error_body("too_many_requests", "At most 5 objections.")["error"]["message"] == "提交过于频繁，请稍后再试"
