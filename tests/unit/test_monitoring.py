"""The monitoring in infra/: Prometheus' alerting rules say what `sc queues` says (the
same thresholds, from the same settings), promtool accepts them and their unit cases,
the scrape config and the metrics; the Grafana dashboard asks only for metrics that
exist, in PromQL that parses, from the data source that is provisioned."""

import json
import math
import re
import secrets
import shutil

import yaml

from services.backbone.config import PROJECT_ROOT, load_config
from services.backbone.ops.metrics import ServiceMetrics
from tests.support.promtool import promtool

PROMETHEUS = PROJECT_ROOT / "infra" / "prometheus"
GRAFANA = PROJECT_ROOT / "infra" / "grafana"
PRODUCTION = load_config("production", environ={"SC_AUTH__SECRET": secrets.token_urlsafe(32),
                                                "SC_STORE__CIPHER_KEY": secrets.token_urlsafe(32)})
# Alerts of `sc queues` that have no number of their own in ops.thresholds.
WITHOUT_A_NUMBER = {"no_consumer", "not_answering", "store_unavailable"}


def rules() -> list[dict]:
    document = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text(encoding="utf-8"))
    return [rule for group in document["groups"] for rule in group["rules"]]


def seconds(duration: str) -> float:
    number, unit = re.fullmatch(r"(\d+)([smh])", duration).groups()
    return int(number) * {"s": 1, "m": 60, "h": 3600}[unit]


def test_promtool_accepts_the_rules_and_their_unit_cases():
    checked = promtool("check", "rules", str(PROMETHEUS / "alerts.yml"))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = promtool("test", "rules", "alerts.test.yml", cwd=PROMETHEUS)
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_every_threshold_of_sc_queues_has_an_alert_with_its_configured_number():
    thresholds = PRODUCTION["ops"]["thresholds"]
    by_threshold = {rule["labels"]["threshold"]: rule for rule in rules()}
    assert set(thresholds) <= set(by_threshold)
    assert set(by_threshold) - set(thresholds) <= WITHOUT_A_NUMBER
    for name, value in thresholds.items():
        rule = by_threshold[name]
        if name == "relay_failing_seconds":
            assert seconds(rule["for"]) == value, rule["alert"]
        else:
            assert re.search(rf"> {value}$", rule["expr"].strip()), (rule["alert"], rule["expr"])


def test_the_queue_alerts_name_the_configured_namespace():
    namespace = PRODUCTION["broker"]["namespace"]
    for rule in rules():
        for pattern in re.findall(r'queue=~"([^"]+)"', rule["expr"]):
            assert pattern.startswith(f"{namespace}\\\\."), (rule["alert"], pattern)


def test_promtool_accepts_the_scrape_config(tmp_path):
    """As deployed, but with the scrape token's file here (promtool reads it)."""
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text(encoding="utf-8"))
    token = tmp_path / "sc-scrape-token"
    token.write_text("token\n")
    (platform_job,) = [job for job in config["scrape_configs"] if "authorization" in job]
    platform_job["authorization"]["credentials_file"] = str(token)
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config, allow_unicode=True))
    shutil.copy(PROMETHEUS / "alerts.yml", tmp_path / "alerts.yml")
    checked = promtool("check", "config", str(tmp_path / "prometheus.yml"))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def exposition() -> str:
    """A service's /metrics with every metric holding a sample, every label in use."""
    metrics = ServiceMetrics("registry")
    metrics.events_appended.inc()
    metrics.events_published.labels("BaseDeclared").inc()
    metrics.events_consumed.labels("evaluation", "applied").inc()
    metrics.handler_seconds.labels("evaluation").observe(0.004)
    metrics.handler_failures.labels("evaluation", "transient").inc()
    metrics.http_seconds.labels("POST", "/bases", "201").observe(0.012)
    metrics.consumer_lag.labels("evaluation").set(2)
    metrics.read_at_scrape(metrics.relay_lag, "relay_lag", lambda: 3)
    metrics.read_at_scrape(metrics.log_head, "log_head", lambda: math.inf)
    metrics.scrape_errors.labels("relay_lag").inc()
    return metrics.exposition().decode()


def test_promtool_accepts_a_service_s_metrics_with_every_series_present():
    checked = promtool("check", "metrics", stdin=exposition())
    assert checked.returncode == 0, checked.stdout + checked.stderr


def dashboard() -> dict:
    return json.loads((GRAFANA / "dashboards" / "shuangchuang.json").read_text(encoding="utf-8"))


def dashboard_queries() -> list[str]:
    return [target["expr"] for panel in dashboard()["panels"] for target in panel.get("targets", [])]


def test_every_dashboard_query_parses_as_promql(tmp_path):
    """promtool checks PromQL in rule files: each query as a recording rule."""
    recorded = {"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:query_{number}", "expr": query}
        for number, query in enumerate(dashboard_queries())]}]}
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump(recorded, allow_unicode=True))
    checked = promtool("check", "rules", str(path))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_dashboard_and_the_alerts_ask_only_for_metrics_that_exist():
    exported = set(re.findall(r"^(sc_\w+)[{ ]", exposition(), re.MULTILINE))  # the samples' names
    asked = {metric for query in dashboard_queries() + [rule["expr"] for rule in rules()]
             for metric in re.findall(r"\b(sc_\w+)", query)}
    assert asked and asked <= exported, asked - exported


def test_the_dashboard_reads_the_provisioned_data_source_and_has_each_subject():
    provisioned = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "prometheus.yml").read_text())
    uids = {source["uid"] for source in provisioned["datasources"]}
    used = {panel["datasource"]["uid"] for panel in dashboard()["panels"] if "datasource" in panel}
    assert used == uids
    rows = " ".join(panel["title"] for panel in dashboard()["panels"] if panel["type"] == "row")
    for subject in ("Queues", "Lags", "Deliveries", "Latencies"):
        assert subject in rows
