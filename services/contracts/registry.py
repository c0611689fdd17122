"""Events published by the registry service (bases and their construction plans)."""

from marshmallow import ValidationError, fields, validate, validates_schema

from .catalog import CATALOG, contract, upcaster
from .common import (AnnualTargetSchema, ApprovalSchema, ContactSchema, PlanContentSchema,
                     RegionSchema, Strict)
from .fields import LoggedName, Timestamp
from .vocabulary import KINDS

CONTACT_ROLES = {"primary": "主要联系人", "deputy": "备用联系人"}


@contract("BaseDeclared", source="registry", version=1, example={
    "base_id": "3a6f6f0e-2b8e-5b43-9d0a-6c1f1d2e9b01",
    "name": "山西大学",
    "kind": "university",
    "region": {"city": "太原市", "county": "小店区"},
    "competent_department": "山西省教育厅",
    "batch_id": "9d3e7c52-1f0a-4c7b-8e21-2017a0000001",
    "contact": {"name": "王老师", "phone": "0351-7010000", "email": "sxu-scjd@example.cn"},
})
class BaseDeclaredV1(Strict):
    """A region, university/research institute or enterprise declared a base (申报) in a batch."""

    base_id = fields.UUID(required=True)
    name = LoggedName()
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    region = fields.Nested(RegionSchema, required=True)
    competent_department = LoggedName()
    batch_id = fields.UUID(required=True)
    contact = fields.Nested(ContactSchema, required=True)


class Declaration(Strict):
    """What a declaration says since version 2 (the API's request adds nothing to it)."""

    name = LoggedName()
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    region = fields.Nested(RegionSchema, required=True)
    competent_department = LoggedName()
    batch_id = fields.UUID(required=True)
    contacts = fields.List(fields.Nested(lambda: DeclaredContactSchema()), required=True,
                           validate=validate.Length(min=1, max=5))

    @validates_schema
    def _one_primary(self, data, partial=None, **kwargs):
        if "contacts" in data or not partial:  # a copy may withhold them (load_event)
            check_one_primary(data.get("contacts") or [])


@contract("PlanFiled", source="registry", version=1, example={
    "base_id": "3a6f6f0e-2b8e-5b43-9d0a-6c1f1d2e9b01",
    "plan_version": 1,
    "kind": "university",
    "tasks": [
        {"task": "talent_cultivation", "measures": "建立创业学院，开设创新创业必修课程", "reform_areas": ["talent_mobility"]},
        {"task": "technology_transfer", "measures": "落实成果转化收益分配，建设技术转移中心", "reform_areas": ["technology_transfer"]},
        {"task": "student_entrepreneurship", "measures": "允许休学创业，建设大学生创业园", "reform_areas": []},
        {"task": "support_services", "measures": "建设知识产权运营平台", "reform_areas": ["ip_protection"]},
    ],
    "targets": [
        {"metric": "incubated_enterprises", "value": "60.00", "due": "2018-12-31"},
        {"metric": "patents", "value": "120.00", "due": "2018-12-31"},
    ],
    "approvals": [
        {"actor_id": "5f0e3a1c-7d2b-4e8f-9a6c-0b1d2e3f4a5b", "role": "county_government", "name": "太原市小店区人民政府", "approved_at": "2017-10-16T10:00:00+08:00"},
        {"actor_id": "6a1f4b2d-8e3c-4f9a-0b7d-1c2e3f4a5b6c", "role": "competent_department", "name": "山西省教育厅", "approved_at": "2017-10-20T15:30:00+08:00"},
    ],
})
class PlanFiledV1(PlanContentSchema):
    """A certified base's construction plan, approved by its county government and its
    competent department, was filed with the DRC (备案)."""

    base_id = fields.UUID(required=True)
    plan_version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    approvals = fields.List(fields.Nested(ApprovalSchema), required=True,
                            validate=validate.Length(min=2))

    @validates_schema
    def _both_approvers(self, data, **kwargs):
        """Filed only with both approvals (seed, 五.4): one by the county government,
        one by the competent department; two of one kind are not that."""
        roles = sorted(a["role"] for a in data.get("approvals") or [])
        if roles != ["competent_department", "county_government"]:
            raise ValidationError("One approval by the county government and one by the "
                                  "competent department are required.", field_name="approvals")


@contract("PlanFiled", source="registry", version=2, example={
    **CATALOG["PlanFiled"].example,
    "targets": [
        {"metric": "incubated_enterprises", "value": "60.00", "due": "2018-12-31"},
        {"metric": "technology_transfers", "value": "25.00", "due": "2018-12-31"},
        {"metric": "financing_raised", "value": "30000000.00", "due": "2019-12-31"},
    ],
})
class PlanFiledV2(PlanFiledV1):
    """A certified base's construction plan, approved by its county government and its
    competent department, was filed with the DRC (备案).

    Version 2 (2026): a target may name any indicator of the annual self-evaluation
    (incubators, makerspaces, technology transfers beside the half-yearly metrics);
    each annual report is compared with the targets due in its year. Version 1 events
    are read unchanged (their targets name half-yearly metrics only)."""

    targets = fields.List(fields.Nested(AnnualTargetSchema), required=True,
                          validate=validate.Length(min=1, max=100))


@upcaster("PlanFiled", from_version=1)
def plan_filed_v1_to_v2(payload: dict) -> dict:
    """Every version 1 target names a metric that version 2 also knows."""
    return dict(payload)


class DeclaredContactSchema(ContactSchema):
    """A contact of the declaring unit: its primary contact, or a deputy."""

    role = fields.String(required=True, validate=validate.OneOf(CONTACT_ROLES))


def check_one_primary(contacts: list[dict]) -> None:
    if sum(1 for c in contacts if c.get("role") == "primary") != 1:
        raise ValidationError("Exactly one contact must be the primary one.", field_name="contacts")


@contract("BaseDeclared", source="registry", version=2, personal=("contacts",), example={
    "base_id": "3a6f6f0e-2b8e-5b43-9d0a-6c1f1d2e9b01",
    "name": "山西大学",
    "kind": "university",
    "region": {"city": "太原市", "county": "小店区"},
    "competent_department": "山西省教育厅",
    "batch_id": "9d3e7c52-1f0a-4c7b-8e21-2017a0000001",
    "contacts": [
        {"name": "王老师", "phone": "0351-7010000", "email": "sxu-scjd@example.cn", "role": "primary"},
        {"name": "李老师", "phone": "0351-7010001", "email": None, "role": "deputy"},
    ],
})
class BaseDeclaredV2(Declaration):
    """A region, university/research institute or enterprise declared a base (申报) in a batch.

    Version 2 (2018): a declaration names its primary contact and up to four deputies
    (``contacts``), where version 1 had a single ``contact``; departments could not reach
    a base whose one contact had left. Version 1 events are read as a single primary."""

    base_id = fields.UUID(required=True)


@upcaster("BaseDeclared", from_version=1)
def base_declared_v1_to_v2(payload: dict) -> dict:
    """The single contact of version 1 becomes the primary contact."""
    payload = dict(payload)
    payload["contacts"] = [{**payload.pop("contact"), "role": "primary"}]
    return payload


@contract("TokenRevoked", source="registry", deliverable=False, example={
    "jti": "0b7e6f4a-1c2d-4e3f-8a9b-2017c0de0001",
    "expires_at": "2017-10-01T00:00:00+08:00",
    "reason": "该令牌随笔记本电脑遗失",
})
class TokenRevokedV1(Strict):
    """A bearer token (by its ``jti``) is no longer accepted by any service; its holder
    lost it, left, or it was issued in error. For the platform's services only: never
    delivered to a subscription."""

    jti = fields.UUID(required=True)
    expires_at = Timestamp(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
