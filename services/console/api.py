"""The four services' HTTP APIs, called as the signed-in person.

Every page reads and every form writes through here, with the person's short-lived
token (``identity.service_token``), so every rule, authorisation and error stays in the
service that owns it. A service's JSON error arrives as ``ApiError``: its status, its
message and the fields it names, for the page to show in words beside the fields.

A form that writes carries a key made when it was rendered (``FORM_KEY_FIELD``, a hidden
field: ``new_form_key``); its POST sends it as the service's ``Idempotency-Key``, so a
double click, or a reload that posts the form again, is answered without writing twice.
"""

from typing import Any, Mapping
from uuid import uuid4

import requests

from services.backbone.kernel.errors import PlatformError
from services.contracts.vocabulary import SERVICE_NAMES


FORM_KEY_FIELD = "idempotency_key"


def new_form_key() -> str:
    """A key for one rendered form: each rendering is a new submission."""
    return uuid4().hex


class ApiError(PlatformError):
    """A service refused or could not answer a call (``status`` 502 when it did not
    answer at all: the console's gateway error)."""

    def __init__(self, service: str, status: int, code: str, message: str, fields: dict | None = None):
        super().__init__(message, fields=fields)
        self.service, self.status, self.code = service, status or 502, code

    def __str__(self) -> str:
        return f"{self.service} {self.status} {self.code}: {self.message}"

    @property
    def service_word(self) -> str:
        return SERVICE_NAMES.get(self.service, self.service)


class ServiceApi:
    """Calls to the services for one person (one token), on one pooled HTTP session."""

    def __init__(self, urls: Mapping[str, str], token: str, *, timeout: float,
                 http: requests.Session | None = None, correlation_id: str | None = None):
        self.urls, self.token, self.timeout = urls, token, timeout
        self.http = http or requests.Session()
        self.correlation_id = correlation_id

    def get(self, service: str, path: str, **params) -> Any:
        query = {key: value for key, value in params.items() if value not in (None, "")}
        return self._call("GET", service, path, params=query)

    def post(self, service: str, path: str, body: dict | None = None, *, form=None, **headers) -> Any:
        """POSTs ``body``; with the submitted ``form``, under the key it was rendered with."""
        key = form.get(FORM_KEY_FIELD) if form is not None else None
        if key:
            headers["Idempotency-Key"] = key
        return self._call("POST", service, path, json=body or {}, headers=headers)

    def _call(self, method: str, service: str, path: str, headers: dict | None = None, **kwargs) -> Any:
        sent = {"Authorization": f"Bearer {self.token}", **(headers or {})}
        if self.correlation_id:
            sent["X-Correlation-Id"] = self.correlation_id
        try:
            response = self.http.request(method, f"{self.urls[service]}{path}", headers=sent,
                                         timeout=self.timeout, **kwargs)
        except requests.RequestException as error:
            raise ApiError(service, 0, "unreachable", f"{type(error).__name__}") from None
        if response.status_code >= 400:
            raise _error_of(service, response)
        return response.json() if response.content else None


def _error_of(service: str, response: requests.Response) -> ApiError:
    try:
        error = response.json()["error"]
        return ApiError(service, response.status_code, str(error.get("code", "")),
                        str(error.get("message", "")), dict(error.get("fields") or {}))
    except (ValueError, KeyError, TypeError, AttributeError):
        return ApiError(service, response.status_code, "not_json", response.text[:200])
