"""The console's forms as marshmallow schemas: what a POST may carry, each field's label
(the words beside it on the page), and the account a form describes."""

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from services.backbone.kernel.errors import BadRequest

from .domain import PEOPLE_ROLES, SCOPED_ROLES

REQUIRED = {"required": "必填。"}


def text(label: str, *, required: bool = False, max_length: int = 200) -> fields.String:
    limit = validate.Length(max=max_length, error=f"最多 {max_length} 个字符。")
    if required:
        return fields.String(required=True, metadata={"label": label}, error_messages=REQUIRED,
                             validate=[validate.Length(min=1, error="必填。"), limit])
    return fields.String(metadata={"label": label}, validate=limit, load_default="")


class FormSchema(Schema):
    """A form: unknown fields (the CSRF token, a button's name) are left out."""

    class Meta:
        unknown = EXCLUDE

    @classmethod
    def labels(cls) -> dict[str, str]:
        return {name: f.metadata.get("label", name) for name, f in cls._declared_fields.items()}


def loaded(schema: type[FormSchema], form) -> dict:
    """The form's values, stripped; 400 naming each field otherwise."""
    data = {key: value.strip() if isinstance(value, str) else value for key, value in form.items()}
    try:
        return schema().load(data)
    except ValidationError as error:
        raise BadRequest("请检查标出的栏目。", fields=error.messages) from None


class SignInForm(FormSchema):
    username = text("用户名", required=True, max_length=64)
    password = fields.String(required=True, metadata={"label": "密码"}, error_messages=REQUIRED)


class PasswordForm(FormSchema):
    current_password = fields.String(required=True, metadata={"label": "当前密码"}, error_messages=REQUIRED)
    new_password = fields.String(required=True, metadata={"label": "新密码"}, error_messages=REQUIRED)
    repeat_password = fields.String(required=True, metadata={"label": "再次输入新密码"},
                                    error_messages=REQUIRED)


class AccountForm(FormSchema):
    """An account as the administrator describes it; the scope fields that its role
    has are used (``scope_of``), the others ignored."""

    username = text("用户名", required=True, max_length=64)
    name = text("姓名", required=True)
    organisation = text("单位", required=True)
    role = fields.String(required=True, metadata={"label": "角色"}, error_messages=REQUIRED,
                         validate=validate.OneOf(PEOPLE_ROLES, error="请选择一个角色。"))
    city = text("设区市")
    county = text("县（市、区）")
    department = text("所属部门")
    base_ids = fields.String(load_default="", metadata={"label": "负责的基地编号（每行一个）"})
    evaluator_id = text("评审专家编号")


class AccountChangeForm(AccountForm):
    username = fields.String(load_default="", metadata={"label": "用户名"})  # not changed


class DisableForm(FormSchema):
    reason = text("停用原因", required=True, max_length=500)


def scope_of(form: dict) -> dict:
    """The scope fields of an account form, as ``domain.checked_scope`` takes them."""
    kind = SCOPED_ROLES.get(form["role"])
    if kind == "region":
        return {"region": {"city": form["city"], "county": form["county"]}}
    if kind == "department":
        return {"department": form["department"]}
    if kind == "base_ids":
        return {"base_ids": [line for line in form["base_ids"].split() if line]}
    if kind == "evaluator_id":
        return {"evaluator_id": form["evaluator_id"]}
    return {}


def form_errors(fields_: dict) -> dict[str, list[str]]:
    """A service's or the domain's field errors keyed by the form's field names
    (``region.city`` is the form's ``city``), each a list of messages."""
    errors = {}
    for name, messages in (fields_ or {}).items():
        key = name.split(".")[-1]
        if isinstance(messages, dict):
            errors.update(form_errors(messages))
            continue
        errors.setdefault(key, []).extend(messages if isinstance(messages, list) else [str(messages)])
    return errors
