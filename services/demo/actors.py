"""Who acts in the demo, each with a token of its own, and the HTTP calls they make.

Tokens are signed with sc's key of the demo's run (``issue_token``), one per actor, carrying
the scope the services check: a county government its region, a competent department or
a provincial department its organisation, an evaluator the id the DRC registered it
under. Actor ids are derived from names, so the same person is the same actor all along
(an inbox belongs to an actor id).
"""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable
from uuid import UUID

import requests

from services.backbone.web.tokens import issue_token
from services.backbone.kernel.context import stable_id
from services.contracts.signing import Signer

from .polling import DemoFailed


@dataclass(frozen=True)
class Person:
    """An actor of the programme and its bearer token."""

    role: str
    name: str
    token: str
    actor_id: UUID

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


@dataclass
class Cast:
    """Everyone who acts, made on first use and then the same actor every time."""

    signer: Signer
    people: dict = field(default_factory=dict)

    def _person(self, role: str, name: str, actor_id: UUID | None = None, **scope) -> Person:
        key = (role, name, actor_id)
        if key not in self.people:
            actor_id = actor_id or stable_id("demo-actor", role, name)
            token = issue_token(self.signer, role=role, name=name, actor_id=actor_id,
                                ttl=timedelta(hours=2), **scope)
            self.people[key] = Person(role, name, token, actor_id)
        return self.people[key]

    @property
    def drc(self) -> Person:
        return self._person("drc", "山西省发展和改革委员会")

    @property
    def public(self) -> Person:
        """A member of the public: no token (the public notice and its objections)."""
        return Person("public", "公众", "", stable_id("demo-actor", "public"))

    @property
    def ops(self) -> Person:
        return self._person("ops", "平台运维值班")

    @property
    def funding_office(self) -> Person:
        return self._person("funding_office", "山西省财政厅经济建设处", org="山西省财政厅")

    def department(self, org: str) -> Person:
        """A provincial department (省直相关部门) reading and subscribing."""
        return self._person("department", org, org=org)

    def applicant(self, base_name: str) -> Person:
        """The unit that declares a base and answers for it (示范基地建设单位)."""
        return self._person("applicant", base_name, org=base_name)

    def county(self, region: dict, name: str) -> Person:
        """The government of the base's county-level unit, scoped to that region."""
        return self._person("county_government", name, region=(region["city"], region["county"]))

    def competent(self, org: str) -> Person:
        """The competent department (主管部门) of a base, scoped to its organisation."""
        return self._person("competent_department", org, org=org)

    def evaluator(self, evaluator_id: str, name: str) -> Person:
        """An evaluator acts under the id the DRC registered it with."""
        return self._person("evaluator", name, actor_id=UUID(evaluator_id))


class Api:
    """The services' HTTP APIs as the demo's actors call them. A status other than the
    one expected fails the demo with the service's own error message."""

    def __init__(self, urls: dict[str, str], on_error: Callable[[], None] = lambda: None):
        self.urls = urls
        self.on_error = on_error  # e.g. check that the services still run
        self.session = requests.Session()
        self.calls = 0

    def call(self, actor: Person, method: str, service: str, path: str, *, body=None,
             params=None, headers=None, expect=(200, 201)) -> dict:
        self.calls += 1
        try:
            response = self.session.request(
                method, self.urls[service] + path, json=body, params=params, timeout=30,
                headers={**actor.headers, **(headers or {})})
        except requests.RequestException as error:
            self.on_error()
            raise DemoFailed(f"{actor.name} ({actor.role}): {method} {service}{path}: {error}") from None
        if response.status_code not in (expect if isinstance(expect, tuple) else (expect,)):
            self.on_error()
            raise DemoFailed(f"{actor.name} ({actor.role}): {method} {service}{path} answered "
                             f"{response.status_code}: {response.text[:800]}")
        return response.json() if response.content else {}

    def close(self) -> None:
        """Closes the kept-alive connections, so that the services stop without having
        to kill the threads that serve them."""
        self.session.close()

    def get(self, actor: Person, service: str, path: str, **params) -> dict:
        return self.call(actor, "GET", service, path, params=params or None, expect=200)

    def post(self, actor: Person, service: str, path: str, body=None, **kwargs) -> dict:
        return self.call(actor, "POST", service, path, body=body if body is not None else {},
                         **kwargs)

    def put(self, actor: Person, service: str, path: str, body) -> dict:
        return self.call(actor, "PUT", service, path, body=body, expect=200)
