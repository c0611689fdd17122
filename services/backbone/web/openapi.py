"""A service's OpenAPI 3.1 document, built from its routes' own declarations (the
marshmallow schemas they load and dump with, and their roles), so that the document
cannot drift from what the service validates: there is no second copy to keep.

Routes are discovered on the service class like nameko discovers them, so a route
someone adds is documented as soon as it declares its schemas (``RouteDoc``).
"""

import inspect
import re
from functools import cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from services.backbone.kernel import errors
from services.backbone.web.error_body import ERROR_MESSAGES_ZH, ErrorBody
from services.contracts.fields import MAX_MONEY, City, ExactDecimal, Money
from services.contracts.vocabulary import CITIES

OPENAPI_VERSION = "3.1.0"
BEARER = "bearer"
ERROR_STATUSES = {
    400: errors.BadRequest, 401: errors.Unauthenticated, 403: errors.Forbidden, 404: errors.NotFound,
    409: errors.Conflict, 413: errors.PayloadTooLarge, 415: errors.UnsupportedMediaType,
    422: errors.RuleViolation, 429: errors.TooManyRequests, 503: errors.Unavailable,
}
_PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>")
_PARAMETER_TYPES = {"uuid": {"type": "string", "format": "uuid"}, "int": {"type": "integer"}}


def http_routes(service_cls) -> list[tuple[str, object, object]]:
    """(method, entrypoint, handler) of every JSON HTTP route of ``service_cls``,
    inherited ones included, in the order of their paths."""
    from services.backbone.web.entrypoints import JsonHttp

    found = []
    for _, member in inspect.getmembers(service_cls):
        for entrypoint in getattr(member, ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if isinstance(entrypoint, JsonHttp) and entrypoint.documented:
                found += [(method, entrypoint, member) for method in entrypoint.method.upper().split(",")]
    return sorted(found, key=lambda route: (route[1].url, route[0]))


def openapi_path(url: str) -> str:
    """werkzeug's ``/bases/<uuid:base_id>`` as OpenAPI's ``/bases/{base_id}``."""
    return _PARAMETER.sub(lambda m: "{" + m.group(2) + "}", url)


def _wire_forms(converter, field, **kwargs) -> dict:
    """Money and exact quantities are decimal strings on the wire (apispec would say
    ``number`` for a Decimal, inviting the floats the platform refuses); a city is one
    of Shanxi's 11 (the field checks it in code, which apispec cannot read)."""
    text = ["string", "null"] if field.allow_none else "string"
    if isinstance(field, Money):
        top = f"{MAX_MONEY}.00"
        return {"type": text, "pattern": r"^\d{1,13}(\.\d{1,2})?$", "examples": ["1250000.00"],
                "description": f"元，十进制字符串，最多两位小数，不超过 {top}（不接受浮点数）"}
    if isinstance(field, ExactDecimal):
        return {"type": text, "pattern": rf"^-?\d+(\.\d{{1,{field.places}}})?$",
                "description": f"十进制字符串，最多 {field.places} 位小数（不接受浮点数）"}
    if isinstance(field, fields.Decimal) and field.as_string:
        return {"type": text, "pattern": r"^-?\d+(\.\d+)?$", "description": "十进制字符串"}
    if isinstance(field, City):
        return {"enum": list(CITIES)}
    return {}


def _schema_name(schema) -> str | None:
    cls = schema if inspect.isclass(schema) else type(schema)
    name = cls.__name__
    if not inspect.isclass(schema) and (schema.only or schema.exclude or schema.partial):
        return None  # inlined: a modified schema is not the class's own shape
    return name.removesuffix("Schema") or name


def build_document(service_cls, title: str | None = None, version: str = "1") -> dict:
    """The OpenAPI document of ``service_cls`` as a dict, ready for ``json.dumps``."""
    plugin = MarshmallowPlugin(schema_name_resolver=_schema_name)
    spec = APISpec(title=title or f"{service_cls.name} API", version=version, openapi_version=OPENAPI_VERSION,
                   plugins=[plugin])
    plugin.converter.add_attribute_function(_wire_forms)
    for cls in (Money, ExactDecimal):
        plugin.map_to_openapi_type(cls, "string", None)
    spec.components.security_scheme(BEARER, {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                                             "description": "平台签发的 Ed25519 令牌（EdDSA）"})
    spec.components.schema("Error", schema=ErrorBody)
    for status in ERROR_STATUSES:
        spec.components.response(str(status), {"description": _error_description(status),
                                               "content": {"application/json": {"schema": "Error"}}})
    paths: dict[str, dict] = {}
    for method, entrypoint, handler in http_routes(service_cls):
        handler = _described(service_cls, handler)
        operation = _operation(method, entrypoint, handler)
        if entrypoint.idempotent and _has_log(service_cls):
            operation.setdefault("parameters", []).insert(0, IDEMPOTENCY_PARAMETER)
        paths.setdefault(entrypoint.url, {})[method.lower()] = operation
    for url, operations in paths.items():
        spec.path(path=openapi_path(url), operations=operations, parameters=_path_parameters(url))
    return with_links(spec.to_dict())


def with_links(document: dict) -> dict:
    """Adds OpenAPI links from each answer that carries an id (``base_id``: a uuid at
    the top of its body) to every operation whose path takes that id, so that a client,
    and schemathesis' stateful runs, can follow what one call made to the next calls."""
    schemas = document["components"]["schemas"]
    takers: dict[str, list[str]] = {}
    for path, item in document["paths"].items():
        for method, operation in _operations_of(item):
            for name in re.findall(r"{(\w+)}", path):
                takers.setdefault(name, []).append(operation["operationId"])
    for item in document["paths"].values():
        for method, operation in _operations_of(item):
            for status, answer in operation["responses"].items():
                ref = answer.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "")
                properties = schemas.get(ref.rsplit("/", 1)[-1], {}).get("properties", {})
                links = {target: {"operationId": target, "parameters": {name: f"$response.body#/{name}"}}
                         for name, prop in properties.items() if prop.get("format") == "uuid"
                         for target in takers.get(name, ()) if target != operation["operationId"]}
                if links and status.startswith("2"):
                    answer["links"] = links
    return document


# Every mutating JSON route of a service with a log honours it (web/idempotent.py).
IDEMPOTENCY_PARAMETER = {
    "in": "header", "name": "Idempotency-Key", "required": False,
    "schema": {"type": "string", "pattern": "^[\\x21-\\x7e]{1,200}$"},
    "description": "可选。同一键再次提交时不再办理，原样返回首次的答复（带 Idempotent-Replayed: true）；"
                   "同一键而内容不同时答复 409 idempotency_key_reused。表单每次打开生成一个新键。",
}


def _has_log(service_cls) -> bool:
    """Whether the service keeps a log (the console, a front, keeps none)."""
    from services.backbone.dependencies import EventStore  # it imports the web entrypoints

    return any(isinstance(getattr(service_cls, name, None), EventStore) for name in dir(service_cls))


def _operations_of(item: dict):
    return [(method, operation) for method, operation in item.items() if method != "parameters"]


def _described(service_cls, handler):
    """The handler, or the RPC method an HTTP handler stands for (``http_allocate``:
    ``allocate``) or hands the request to (``http_assign``: ``self.assign_evaluator``),
    when only that one says what it does."""
    names = [handler.__name__.removeprefix("http_"), *re.findall(r"self\.(\w+)\(", inspect.getsource(handler))]
    described = [getattr(service_cls, name, None) for name in names]
    return next((method for method in [handler, *described] if inspect.getdoc(method)), handler)


def _error_description(status: int) -> str:
    return f"{status}：{ERROR_MESSAGES_ZH[ERROR_STATUSES[status].code]}"


def _path_parameters(url: str) -> list[dict]:
    return [{"name": name, "in": "path", "required": True,
             "schema": dict(_PARAMETER_TYPES.get(kind or "", {"type": "string"}))}
            for kind, name in _PARAMETER.findall(url)]


def _operation(method: str, entrypoint, handler) -> dict:
    doc = entrypoint.doc
    summary = doc.summary or (inspect.getdoc(handler) or handler.__name__.replace("_", " ")).splitlines()[0]
    operation: dict = {"operationId": f"{method.lower()}_{_slug(entrypoint.url)}", "summary": summary,
                       "x-roles": _roles(entrypoint)}
    if entrypoint.public:
        operation["security"] = []
    else:
        operation["security"] = [{BEARER: []}]
        roles = "、".join(entrypoint.roles) if entrypoint.roles else "任何已登录角色"
        operation["description"] = f"可调用角色：{roles}"
    parameters = [{"in": "header", "name": name, "required": True, "schema": {"type": "string", "minLength": 1}}
                  for name in doc.headers]
    if doc.query is not None:
        parameters.append({"in": "query", "schema": _instance(doc.query)})
    if parameters:
        operation["parameters"] = parameters
    if doc.body is not None:
        media_type = entrypoint.body_types[0]
        operation["requestBody"] = {"required": True, "content": {media_type: {"schema": _instance(doc.body)}}}
        if media_type == "multipart/form-data":  # the fields its schema loads, and the file itself
            operation["requestBody"]["description"] = "表单字段如下，另附文件字段 file（文件本身）"
    operation["responses"] = _responses(entrypoint)
    return operation


def _responses(entrypoint) -> dict:
    """The answer of success, and the errors the route may give: every error of every
    route is the one ``Error`` body."""
    doc = entrypoint.doc
    success: dict = {"description": "成功"}
    if doc.produces != "application/json":
        success["content"] = {doc.produces: {"schema": {"type": "string"}}}
    elif doc.response is not None:
        success["content"] = {doc.produces: {"schema": _instance(doc.response)}}
    answers = {str(status): success for status in (doc.status, *doc.also)}
    statuses = [400, 404, 503]
    if not entrypoint.public:
        statuses += [401, 403]
    if entrypoint.mutating:
        statuses += [409, 413, 415, 422]
    if entrypoint.public and entrypoint.mutating:
        statuses.append(429)  # an unauthenticated write is limited per address (web/ratelimit.py)
    for status in sorted(statuses):
        answers[str(status)] = str(status)
    answers["default"] = {"description": "其他错误（均为同一错误结构）",
                          "content": {"application/json": {"schema": "Error"}}}
    return answers


def _instance(schema) -> Schema:
    return schema() if inspect.isclass(schema) else schema


def _roles(entrypoint) -> list[str] | str:
    """As the reviewed authorization matrix writes them."""
    if entrypoint.public:
        return "public"
    return "any" if entrypoint.roles is None else sorted(entrypoint.roles)


def _slug(url: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", openapi_path(url).lower()).strip("_") or "root"


@cache
def document_of(service_name: str) -> dict:
    """The document of a runnable service by name (built once per process)."""
    from services.backbone.runner import service_class

    return build_document(service_class(service_name), title=f"{service_name} API")

