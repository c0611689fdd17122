"""The evaluation service's HTTP API as the tests drive it."""

from datetime import datetime, timedelta, timezone
from uuid import UUID

import requests

SHEET = {"talent_cultivation": "80", "technology_transfer": "80",
         "student_entrepreneurship": "80", "support_services": "80"}


class Client:
    """HTTP calls to one service of the platform, as the DRC unless told otherwise."""

    def __init__(self, platform, service: str = "evaluation"):
        self.platform = platform
        self.service = service
        self.drc = platform.headers("drc", name="省发展改革委")

    def __call__(self, method, path, body=None, headers=None, expect=200):
        response = requests.request(method, self.platform.url(self.service, path), json=body,
                                    headers=self.drc if headers is None else headers)
        assert response.status_code == expect, response.text
        return response.json()


def open_batch(client: Client, name: str = "2017年第一批", quota: int = 12) -> str:
    """Opens a batch whose window is open now; returns its id."""
    now = datetime.now(timezone.utc)
    return client("POST", "/batches", {"name": name, "quota": quota,
                                       "opens_at": (now - timedelta(days=1)).isoformat(),
                                       "closes_at": (now + timedelta(days=30)).isoformat()},
                  expect=201)["batch_id"]


def scored(client: Client, occasion: dict, sheet=SHEET, name="王教授") -> None:
    """Registers an evaluator from 大同市, assigns it on the occasion, and scores."""
    evaluator = client("POST", "/evaluators", {"name": name, "organisation": "专家库",
                                               "region": {"city": "大同市", "county": "平城区"}},
                       expect=201)["evaluator_id"]
    client("POST", "/assignments", {**occasion, "evaluator_id": evaluator}, expect=201)
    expert = client.platform.headers("evaluator", name=name, actor_id=UUID(evaluator))
    client("POST", "/scores", {**occasion, "scores": sheet}, headers=expert, expect=201)
