"""A valid request body with one field changed: missing, null, of another type, out of
range, oversized, an unknown field beside it, or one of its nested fields changed so
(the contacts of a declaration, the channel of a subscription, the tranches of an
allocation). Property tests draw one change at a time, so an answer that names the
wrong field, or none, is caught."""

import copy

from hypothesis import strategies as st

MISSING = object()
EXTRA = "unexpected_field"
OVERSIZED = "长" * 20_000  # 60 kB: under any body limit, over any field's


def _other_types(value) -> list:
    candidates = ["文本", 12345, 1.5, True, [], {"x": 1}]
    return [c for c in candidates if type(c) is not type(value)]


def _out_of_range(value) -> list:
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [-1, 0, 10 ** 12]
    if isinstance(value, str):
        return ["", "   ", "9" * 40, "2017-13-45T25:61:00+08:00"]
    if isinstance(value, list):
        return [[], value * 600]
    if isinstance(value, dict):
        return [{}]
    return []


def changes(value, nested: bool = True) -> list[tuple[str, object]]:
    """Every (how, new value) for a field whose valid value is ``value``."""
    found = [("missing", MISSING), ("null", None)]
    found += [("wrong type", other) for other in _other_types(value)]
    found += [("out of range", other) for other in _out_of_range(value)]
    if isinstance(value, str):
        found.append(("oversized", OVERSIZED))
    inner = value[0] if isinstance(value, list) and value and isinstance(value[0], dict) else value
    if nested and isinstance(inner, dict):
        for key in sorted(inner):
            for how, other in changes(inner[key], nested=False):
                found.append((f"{key}: {how}", _with(value, key, other)))
        found.append((f"{EXTRA} inside", _with(value, EXTRA, "x")))
    return found


def _with(value, key, other):
    """``value`` (a dict, or a list whose first item is one) with ``key`` changed."""
    changed = copy.deepcopy(value)
    target = changed[0] if isinstance(changed, list) else changed
    if other is MISSING:
        target.pop(key, None)
    else:
        target[key] = other
    return changed


def mutate(body: dict, field: str, change) -> dict:
    changed = copy.deepcopy(body)
    if change is MISSING:
        changed.pop(field, None)
    else:
        changed[field] = change
    return changed


def one_change(body: dict):
    """A strategy of (field, how, changed body) for a valid ``body``."""
    fields = sorted(body) + [EXTRA]
    return st.sampled_from(fields).flatmap(lambda field: st.sampled_from(
        changes(body[field]) if field in body else [("unknown", "x")]).map(
        lambda change: (field, change[0], mutate(body, field, change[1]))))
