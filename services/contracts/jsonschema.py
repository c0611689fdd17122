"""JSON Schema of a contract's marshmallow schema, for the AsyncAPI document.

Written from the fields the contracts use, so that a new field type fails here loudly
(``UnknownField``) instead of vanishing from the published description. Money and exact
quantities are decimal strings with their places, never numbers: a consumer reading them
as floats would lose cents. Rules across fields (one primary contact, tranches that add
up) are in the schemas' docstrings, which JSON Schema cannot check.
"""

from marshmallow import Schema, fields, validate

from .fields import ExactDecimal, Money


class UnknownField(TypeError):
    """A field type this module does not know how to describe."""


def object_schema(schema: Schema | type[Schema], *, description: str | None = None) -> dict:
    """A marshmallow schema as a closed JSON object (the contracts refuse unknown fields)."""
    instance = schema() if isinstance(schema, type) else schema
    properties, required = {}, []
    for name, field in instance.fields.items():
        key = field.data_key or name
        properties[key] = field_schema(field)
        if field.required:
            required.append(key)
    out = {"type": "object"}
    text = description if description is not None else (type(instance).__doc__ or "").strip()
    if text:
        out["description"] = " ".join(text.split())
    out["properties"] = properties
    if required:
        out["required"] = required
    out["additionalProperties"] = False
    return out


def field_schema(field: fields.Field) -> dict:
    """One field: its JSON type, format and what its validators allow."""
    out = _type_of(field)
    for validator in field.validators:
        out.update(_constraint(validator, out.get("type")))
    if field.allow_none:
        out = {"oneOf": [out, {"type": "null"}]}
    return out


def _type_of(field: fields.Field) -> dict:
    if isinstance(field, Money):
        return {"type": "string", "pattern": r"^[0-9]+\.[0-9]{2}$",
                "description": "yuan, a decimal string with two places (never a number)"}
    if isinstance(field, ExactDecimal):
        return {"type": "string", "pattern": rf"^-?[0-9]+\.[0-9]{{{field.places}}}$",
                "description": f"a decimal string with {field.places} places (never a number)"}
    if isinstance(field, fields.Nested):
        nested = field.nested() if callable(field.nested) and not isinstance(field.nested, type) \
            else field.nested
        return object_schema(nested)
    if isinstance(field, fields.List):
        return {"type": "array", "items": field_schema(field.inner)}
    if isinstance(field, fields.Dict):
        values = field_schema(field.value_field) if field.value_field else {}
        return {"type": "object", "additionalProperties": values or True}
    for kind, schema in _SIMPLE:
        if isinstance(field, kind):
            return dict(schema)
    raise UnknownField(f"{type(field).__name__} has no JSON Schema here; add it to jsonschema.py")


# Order matters: a subclass before its base (AwareDateTime is a DateTime, Email a String).
_SIMPLE = (
    (fields.UUID, {"type": "string", "format": "uuid"}),
    (fields.AwareDateTime, {"type": "string", "format": "date-time",
                            "description": "ISO 8601 with its offset"}),
    (fields.Date, {"type": "string", "format": "date"}),
    (fields.Email, {"type": "string", "format": "email"}),
    (fields.String, {"type": "string"}),
    (fields.Boolean, {"type": "boolean"}),
    (fields.Integer, {"type": "integer"}),
)


def _constraint(validator, json_type: str | None) -> dict:
    if isinstance(validator, validate.OneOf):
        return {"enum": list(validator.choices)}
    if isinstance(validator, validate.Equal):
        return {"const": validator.comparable}
    if isinstance(validator, validate.Regexp):
        return {"pattern": validator.regex.pattern}
    if isinstance(validator, validate.Length):
        names = {"array": ("minItems", "maxItems")}.get(json_type, ("minLength", "maxLength"))
        return {name: bound for name, bound in zip(names, (validator.min, validator.max))
                if bound is not None}
    if isinstance(validator, validate.Range):
        low = "minimum" if validator.min_inclusive else "exclusiveMinimum"
        high = "maximum" if validator.max_inclusive else "exclusiveMaximum"
        return {name: bound for name, bound in ((low, validator.min), (high, validator.max))
                if bound is not None}
    return {}  # a function validator (e.g. not blank): its rule is in the description
