"""What a handler reads from a request: its JSON body and its query string, refused
with a 400 naming the fault before anything is built from them.

A body is parsed only if it nests no deeper than ``MAX_DEPTH`` (the parser recurses once
per level: 50,000 brackets were a RecursionError, a 500 and a traceback each time), and
a key given twice in one object is refused (``{"amount": "999999999.00", "amount":
"1.00"}`` silently meant the last one, whatever a proxy or a log judged by the first).
"""

import json
import re

from werkzeug import exceptions as http_errors

from services.backbone.kernel.errors import BadRequest, PayloadTooLarge

PATH_PARAMS = "sc.path_params"
MAX_DEPTH = 32  # far beyond the few levels any request of the platform has

# A JSON string (possessive: an unterminated one runs to the end, never backtracks) or
# a bracket outside strings.
_STRING_OR_BRACKET = re.compile(r'"(?:[^"\\]++|\\.)*+"?|[\[\]{}]')


class _RepeatedKey(Exception):
    def __init__(self, key: str):
        self.key = key


def read_json(request) -> dict:
    """The request's body as a JSON object; 400 if it is not one, nests deeper than
    ``MAX_DEPTH``, repeats a key, repeats a parameter the URL already gives, or names
    ``self``."""
    limit = request.max_content_length
    try:
        raw = request.get_data()
        if limit is not None and request.content_length is None and len(raw) >= limit:
            request.stream.read(1)  # raises: a chunked body of the limit or more is refused
    except http_errors.RequestEntityTooLarge:
        raise PayloadTooLarge(f"The request body is larger than {limit} bytes.") from None
    try:
        text = raw.decode("utf-8") or "{}"
    except ValueError as error:
        raise BadRequest(f"The body is not valid JSON: {error}.") from None
    data = _parsed(text)
    if not isinstance(data, dict):
        raise BadRequest("The body must be a JSON object.")
    _refuse_handler_arguments(request, data, "a field of the body")
    return data


def _parsed(text: str):
    if nests_too_deep(text):
        raise BadRequest(f"The body nests deeper than {MAX_DEPTH} levels of arrays and objects.")
    try:
        return json.loads(text, object_pairs_hook=_object)
    except _RepeatedKey as repeated:
        raise BadRequest("The request is not valid.",
                         fields={repeated.key: ["Given more than once in one object."]}) from None
    except ValueError as error:
        raise BadRequest(f"The body is not valid JSON: {error}.") from None


def nests_too_deep(text: str) -> bool:
    """Whether a JSON text nests arrays and objects deeper than ``MAX_DEPTH`` (brackets
    inside strings do not count), found without parsing it."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:  # most bodies: too few to nest that deep
        return False
    depth = 0
    for token in _STRING_OR_BRACKET.finditer(text):
        bracket = token.group()
        if bracket in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif bracket in "]}":
            depth -= 1
    return False


def _object(pairs: list[tuple[str, object]]) -> dict:
    data = dict(pairs)
    if len(data) < len(pairs):
        seen = set()
        for key, _ in pairs:
            if key in seen:
                raise _RepeatedKey(key)
            seen.add(key)
    return data


def read_query(request) -> dict:
    """The query string's parameters, for a handler to take as keyword arguments; 400
    naming a parameter given more than once (which one is meant would be a guess), or
    one the path gives or named ``self`` (as for ``read_json``)."""
    repeated = {name: ["Given more than once."] for name, values in request.args.lists() if len(values) > 1}
    if repeated:
        raise BadRequest("The request is not valid.", fields=repeated)
    query = request.args.to_dict()
    _refuse_handler_arguments(request, query, "a parameter of the query")
    return query


def _refuse_handler_arguments(request, given: dict, what: str) -> None:
    """Handlers pass the body or query on as keyword arguments: a parameter the path
    already gives, or ``self``, reached the method twice (a TypeError, 500)."""
    doubled = {name: [f"Given in the path; not {what}."]
               for name in request.environ.get(PATH_PARAMS, ()) if name in given}
    if "self" in given:
        doubled["self"] = ["Unknown field."]
    if doubled:
        raise BadRequest("The request is not valid.", fields=doubled)
