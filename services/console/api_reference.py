"""The API reference (接口文档) of the four services at one address: Swagger UI (the
pinned ``swagger-ui-dist``) over each service's OpenAPI document, which the console
builds with the same generator as the service serves at its own /openapi.json.

Public like /openapi.json: it says what the API is, nothing of the programme's data.
"""

from werkzeug.wrappers import Response

from services.backbone.runner import SERVICE_CLASSES
from services.backbone.web.entrypoints import json_response
from services.backbone.web.openapi import document_of

from .web import PageNotFound, SECURITY_HEADERS, page

REFERENCE_PAGE = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>接口文档 · 双创示范基地平台</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/vendor/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-documents='{documents}'></div>
<script src="/static/vendor/swagger-ui-bundle.js"></script>
<script src="/static/vendor/swagger-ui-standalone-preset.js"></script>
<script src="/static/api-reference.js"></script>
</body>
</html>
"""
# The console's policy, but for Swagger UI's inline styles (it sets them on elements
# as it draws): still no script but the console's own files.
REFERENCE_POLICY = SECURITY_HEADERS["Content-Security-Policy"].replace(
    "default-src 'self';", "default-src 'self'; style-src 'self' 'unsafe-inline';")
NAMES = {"registry": "registry 基地登记", "evaluation": "evaluation 评审认定",
         "funding": "funding 资金支持", "notifications": "notifications 消息通知"}


class ApiReference:
    """The console's routes for the reference page and the documents it shows."""

    @page("GET", "/api", bare=True)
    def api_reference(self, request):
        documents = ",".join(f'{{"url": "/api/{name}/openapi.json", "name": "{NAMES.get(name, name)}"}}'
                             for name in SERVICE_CLASSES)  # the programme's order: registry first
        response = Response(REFERENCE_PAGE.replace("{documents}", f"[{documents}]"), mimetype="text/html")
        response.headers.extend({**SECURITY_HEADERS, "Content-Security-Policy": REFERENCE_POLICY})
        return response

    @page("GET", "/api/<string:service>/openapi.json", bare=True)
    def api_document(self, request, service):
        if service not in SERVICE_CLASSES:
            raise PageNotFound(service)
        return json_response(200, document_of(service))
