"""A revoked token is refused by every service within seconds, after it had been
accepted, and still after a restart (the revocation is in each service's own log)."""

import requests

from services.backbone.web.tokens import token_id
from tests.support.platform import wait_until

SERVICES = ("registry", "evaluation", "funding", "notifications")


def test_a_revoked_token_is_refused_everywhere_and_after_a_restart(platform):
    platform.start(*SERVICES)
    stolen = platform.token("ops", name="值班运维")
    headers = {"Authorization": f"Bearer {stolen}"}
    for service in SERVICES:
        assert requests.get(platform.url(service, "/ops/status"), headers=headers, timeout=10).status_code == 200
    jti, expires_at = token_id(stolen)

    other_ops = platform.headers("ops", name="安全管理员")
    answer = requests.post(platform.url("registry", "/tokens/revocations"), headers=other_ops, timeout=10,
                           json={"jti": str(jti), "expires_at": expires_at.isoformat(), "reason": "笔记本电脑遗失"})
    assert answer.status_code == 201 and answer.json() == {"jti": str(jti), "recorded": True}

    def refused_everywhere():
        answers = [requests.get(platform.url(s, "/ops/status"), headers=headers, timeout=10) for s in SERVICES]
        return all(a.status_code == 401 and "revoked" in a.json()["error"]["detail"] for a in answers)

    wait_until(refused_everywhere, timeout=10, message="every service to refuse the revoked token")
    for service in SERVICES:  # a token issued to someone else still works
        assert requests.get(platform.url(service, "/ops/status"), headers=other_ops, timeout=10).status_code == 200

    platform.stop("funding")
    platform.start("funding")
    assert requests.get(platform.url("funding", "/ops/status"), headers=headers, timeout=10).status_code == 401
