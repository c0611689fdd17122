"""Each running service's /metrics, as Prometheus scrapes it (an ops token), passes
`promtool check metrics`: the exposition parses and follows Prometheus' naming rules."""

import requests

from services.backbone.runner import RUNNABLE
from tests.support.promtool import promtool


def test_every_service_s_metrics_pass_promtool(platform):
    platform.start(*RUNNABLE)
    headers = platform.headers("ops")
    for service in RUNNABLE:
        requests.get(platform.url(service, "/health"), timeout=10)  # an HTTP series to show
        scraped = requests.get(platform.url(service, "/metrics"), headers=headers, timeout=10)
        assert scraped.status_code == 200, (service, scraped.text[:300])
        assert "sc_http_request_seconds_bucket" in scraped.text, service
        checked = promtool("check", "metrics", stdin=scraped.text)
        assert checked.returncode == 0, (service, checked.stdout + checked.stderr)
