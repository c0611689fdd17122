"""Each service serves its OpenAPI document at /openapi.json without a token, and the
console shows the four at /api with the pinned Swagger UI, from documents that are the
services' own; an error answers the one error body the documents describe."""

import requests
import schemathesis

from services.backbone.runner import SERVICE_CLASSES
from tests.integration.conftest import open_batch
from tests.support.fixtures import declaration


def test_a_service_serves_its_document_without_a_token(platform):
    platform.start("registry")
    served = requests.get(platform.url("registry", "/openapi.json"), timeout=30)
    assert served.status_code == 200
    document = served.json()
    assert document["openapi"] == "3.1.0" and "/bases/{base_id}/plan" in document["paths"]
    assert document["paths"]["/bases"]["post"]["x-roles"] == ["applicant", "drc"]


def test_a_nested_field_error_names_its_dotted_path_with_a_code_and_chinese(platform):
    platform.start("registry")
    refused = requests.post(platform.url("registry", "/bases"), headers=platform.applicant(), timeout=30,
                            json={"name": "山西大学", "kind": "college", "region": {"city": "太原"},
                                  "contacts": [{"name": "王老师", "phone": 13800000000, "role": "primary"}]})
    assert refused.status_code == 400
    error = refused.json()["error"]
    by_field = {entry["field"]: entry for entry in error["errors"]}
    assert error["code"] == "bad_request" and error["message"].startswith("请求内容不符合要求：")
    assert by_field["kind"]["code"] == "not_in_choices" and by_field["kind"]["message"].startswith("取值不在允许范围内：")
    assert by_field["region.county"] == {"field": "region.county", "code": "missing", "message": "缺少必填字段",
                                         "detail": "Missing data for required field."}
    assert by_field["contacts.0.phone"]["code"] == "invalid_type"
    assert "region" in error["fields"]  # marshmallow's nested messages, for the clients that read them


def test_the_console_shows_the_four_documents_at_one_address(platform):
    platform.start("console", "funding")
    page = requests.get(platform.url("console", "/api"), timeout=30)
    assert page.status_code == 200 and "swagger-ui-bundle.js" in page.text
    for name in SERVICE_CLASSES:
        assert f"/api/{name}/openapi.json" in page.text
    for script in ("vendor/swagger-ui-bundle.js", "vendor/swagger-ui-standalone-preset.js", "api-reference.js"):
        served = requests.get(platform.url("console", f"/static/{script}"), timeout=30)
        assert served.status_code == 200 and len(served.content) > 500, script
    shown = requests.get(platform.url("console", "/api/funding/openapi.json"), timeout=30).json()
    assert shown == requests.get(platform.url("funding", "/openapi.json"), timeout=30).json()
    assert requests.get(platform.url("console", "/api/nothing/openapi.json"), timeout=30).status_code == 404


def test_a_base_whose_contacts_are_withheld_still_answers_as_documented(platform, evaluation_log):
    """A reader who may not see a base's contacts gets ``contacts: null``: the document
    says so (it did not, until schemathesis' kind of check was run on such an answer)."""
    platform.start("registry")
    batch_id = open_batch(platform, evaluation_log)
    declared = requests.post(platform.url("registry", "/bases"), json=declaration(batch_id),
                             headers=platform.applicant(), timeout=30)
    assert declared.status_code == 201, declared.text
    schema = schemathesis.openapi.from_dict(requests.get(platform.url("registry", "/openapi.json"), timeout=30).json())
    operation = schema.find_operation_by_label("GET /bases/{base_id}")
    for headers in (platform.applicant(), platform.applicant("太原理工大学")):
        answer = requests.get(platform.url("registry", f"/bases/{declared.json()['base_id']}"), headers=headers,
                              timeout=30)
        assert answer.status_code == 200
        operation.validate_response(answer)
    assert answer.json()["contacts"] is None  # the other unit's applicant
