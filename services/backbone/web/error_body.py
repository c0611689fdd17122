"""The one body of every error the API gives: a stable English ``code`` for programs, a
Chinese ``message`` for people, the English ``detail`` the service wrote, and each
offending field in ``errors`` with its dotted path, its own code and Chinese message.
``fields`` keeps marshmallow's nested messages for clients that already read them.
"""

import re
from typing import Any, Iterator

from marshmallow import Schema, fields

ERROR_MESSAGES_ZH = {
    "bad_request": "请求内容不符合要求",
    "unauthenticated": "未登录或令牌无效，请重新登录",
    "forbidden": "无权办理此事项",
    "not_found": "未找到所请求的内容",
    "method_not_allowed": "此地址不支持该请求方式",
    "conflict": "与已有记录冲突",
    "concurrent_change": "此记录已被他人修改，请刷新后再试",
    "plan_changed": "此方案已被他人修改，请刷新后再试",
    "idempotency_key_reused": "此次提交的幂等键（Idempotency-Key）已用于另一份内容，请重新打开表单后提交",
    "idempotency_key_in_progress": "相同的提交（Idempotency-Key）正在办理中，请稍后刷新查看结果，勿重复提交",
    "payload_too_large": "提交的内容过大",
    "unsupported_media_type": "提交内容的格式不受支持",
    "too_many_requests": "提交过于频繁，请稍后再试",
    "rule_violation": "不符合办理规则",
    "unavailable": "服务暂时无法响应，请稍后重试",
    "internal_error": "系统内部错误，请联系运维人员",
    "request_uri_too_long": "请求地址过长",
    "request_header_fields_too_large": "请求头过大",
}

# marshmallow's and the platform's English reasons, by what they say: (pattern, code,
# Chinese). The first that matches names the fault; the numbers and choices it gives
# are carried into the Chinese through the pattern's groups.
_REASONS = [
    (r"^Missing data for required field", "missing", "缺少必填字段"),
    (r"^Unknown field", "unknown_field", "不接受此字段"),
    (r"^Field may not be null", "null", "不能为空值"),
    (r"^Must be one of: (.*?)\.?$", "not_in_choices", "取值不在允许范围内：{0}"),
    (r"floats are not accepted", "float_not_accepted", "不接受浮点数，请填写十进制字符串（如 \"1000.00\"）"),
    (r"^Given more than once", "repeated", "重复给出"),
    (r"^Given in the path", "given_in_path", "已在地址中给出，请勿重复提交"),
    (r"^Must not be blank", "blank", "不能为空白"),
    (r"^Shorter than minimum length (\d+)", "too_short", "长度不能少于 {0}"),
    (r"^Longer than maximum length (\d+)", "too_long", "长度不能超过 {0}"),
    (r"^Length must be between (\d+) and (\d+)", "invalid_length", "长度应在 {0} 至 {1} 之间"),
    (r"greater than or equal to (\S+) and less than or equal to (\S+?)\.?$", "out_of_range",
     "超出允许范围：应在 {0} 至 {1} 之间"),
    (r"^Must be from (\S+) to (\S+?)\.?$", "out_of_range", "超出允许范围：应在 {0} 至 {1} 之间"),
    (r"^Must be (?:greater than or equal to|at least) (\S+?)\.?$", "out_of_range", "不能小于 {0}"),
    (r"^Must be less than or equal to (\S+?)\.?$", "out_of_range", "不能大于 {0}"),
    (r"decimal places|fen\)", "too_many_places", "小数位数过多"),
    (r"aware datetime|naive", "invalid_datetime", "时间格式不正确，应为带时区的 ISO 8601 时间"),
    (r"^Not a valid (?:datetime|date)", "invalid_datetime", "日期或时间格式不正确"),
    (r"^Not a valid UUID", "invalid_uuid", "编号格式不正确"),
    (r"^Not a valid (?:integer|number)", "invalid_number", "应为整数"),
    (r"^Not a valid (?:string|boolean|list|mapping|email|URL)|^Invalid (?:input )?type", "invalid_type",
     "类型不正确"),
    (r"^Not a valid", "invalid_format", "格式不正确"),
    (r"city|设区市", "not_in_choices", "不是山西省的设区市"),
]
_COMPILED = [(re.compile(pattern, re.IGNORECASE), code, zh) for pattern, code, zh in _REASONS]


def field_error(path: str, reason: str, fallback: tuple[str, str]) -> dict[str, str]:
    """One field's fault: its dotted path, a code and a Chinese message for ``reason``
    (``fallback``, the error's own code and Chinese, when no pattern names it)."""
    for pattern, code, zh in _COMPILED:
        found = pattern.search(reason)
        if found:
            return {"field": path, "code": code, "message": zh.format(*found.groups()), "detail": reason}
    code, zh = fallback
    return {"field": path, "code": code, "message": zh, "detail": reason}


def _flattened(messages: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(dotted path, reason) of marshmallow's nested messages: a list index or a
    mapping's key is one step of the path (``scores.talent_cultivation.value``)."""
    if isinstance(messages, dict):
        for key, inner in messages.items():
            yield from _flattened(inner, f"{path}.{key}" if path else str(key))
    elif isinstance(messages, (list, tuple)):
        for item in messages:
            if isinstance(item, (dict, list, tuple)):
                yield from _flattened(item, path)
            else:
                yield path or "_schema", str(item)
    else:
        yield path or "_schema", str(messages)


def error_body(code: str, detail: str, fields_: dict | None = None) -> dict[str, Any]:
    """The JSON body of an error with ``code`` (see ``ErrorBody``)."""
    zh = ERROR_MESSAGES_ZH.get(code, ERROR_MESSAGES_ZH["bad_request"])
    fallback = ("invalid", "取值不符合要求") if code == "bad_request" else (code, zh)
    body: dict[str, Any] = {"code": code, "message": zh, "detail": detail}
    if fields_:
        body["fields"] = fields_
        body["errors"] = [field_error(path, reason, fallback) for path, reason in _flattened(fields_)]
        named = [f"{e['field']} {e['message']}" for e in body["errors"][:5] if e["message"] != zh]
        if named:
            body["message"] = f"{zh}：" + "；".join(named)
    return {"error": body}


class FieldErrorSchema(Schema):
    field = fields.String(required=True, metadata={"description": "出错字段的路径，以点分隔（如 scores.talent_cultivation.value）"})
    code = fields.String(required=True, metadata={"description": "稳定的英文错误代码，供程序判断"})
    message = fields.String(required=True, metadata={"description": "中文说明，供人阅读"})
    detail = fields.String(required=True, metadata={"description": "服务给出的英文原因"})


class ErrorDetailSchema(Schema):
    code = fields.String(required=True, metadata={"description": "稳定的英文错误代码", "examples": ["bad_request"]})
    message = fields.String(required=True, metadata={"description": "中文说明，供人阅读"})
    detail = fields.String(required=True, metadata={"description": "服务给出的英文原因"})
    fields_ = fields.Dict(data_key="fields", metadata={"description": "按字段嵌套的原因（旧客户端沿用）"})
    errors = fields.List(fields.Nested(FieldErrorSchema), metadata={"description": "每个出错字段一条"})


class ErrorBody(Schema):
    """Every error answer of the platform."""

    error = fields.Nested(ErrorDetailSchema, required=True)
