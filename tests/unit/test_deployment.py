"""The deployment files: docker-compose.yml and the broker definitions are complete and
consistent with the code, and a real validator accepts the compose file (the docker
compose client where one exists, the Compose Specification's JSON schema elsewhere)."""

import json
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from services.backbone.messaging.topology import SUBSCRIPTIONS, all_queues, definitions

ROOT = Path(__file__).resolve().parents[2]
PLATFORM_SERVICES = sorted(SUBSCRIPTIONS)
PRODUCTION_KEYS = {"SC_AUTH__SECRET": secrets.token_urlsafe(32), "SC_STORE__CIPHER_KEY": secrets.token_urlsafe(32)}


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_every_service_runs_with_healthcheck_config_by_env_and_dependencies():
    services = compose()["services"]
    for name in PLATFORM_SERVICES:
        service = services[name]
        assert service["command"] == ["sc", "run", name]
        assert "/ready" in " ".join(service["healthcheck"]["test"])
        env = service["environment"]
        assert env["SC_ENV"] == "production" and env["SC_STORE__BACKEND"] == "postgres"
        assert service["depends_on"]["rabbitmq"]["condition"] == "service_healthy"
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert service["depends_on"]["broker-init"]["condition"] == "service_completed_successfully"
        assert service["restart"] == "unless-stopped"


def test_the_console_runs_beside_the_services_with_its_own_health_check():
    console = compose()["services"]["console"]
    assert console["command"] == ["sc", "run", "console"]
    assert "8100/ready" in " ".join(console["healthcheck"]["test"]) and console["ports"] == ["8100:8100"]
    assert console["environment"]["SC_ENV"] == "production"


def test_the_broker_has_management_and_both_stores_use_named_volumes():
    document = compose()
    services = document["services"]
    assert "management" in services["rabbitmq"]["image"]
    assert "healthcheck" in services["rabbitmq"] and "healthcheck" in services["postgres"]
    for name, mount in (("rabbitmq", "/var/lib/rabbitmq"), ("postgres", "/var/lib/postgresql/data")):
        volume = next(v.split(":")[0] for v in services[name]["volumes"] if v.endswith(mount))
        assert volume in document["volumes"]


def test_broker_credentials_are_passed_apart_from_the_urls_which_hold_none():
    """A password with @ / # ? in it would break a URL it is written into; the platform
    puts the credentials into its URLs percent-encoded instead."""
    services = compose()["services"]
    env = services["registry"]["environment"]
    assert "@" not in env["SC_BROKER__URL"] and "@" not in env["SC_BROKER__MANAGEMENT_URL"]
    init = services["broker-init"]["environment"]
    assert init["SC_BROKER__USERNAME"].startswith("${RABBITMQ_USER")
    assert init["SC_BROKER__PASSWORD"].startswith("${RABBITMQ_PASSWORD:?")


def test_each_service_connects_as_its_own_broker_user_with_its_own_key_and_no_administrator_password():
    services = compose()["services"]
    for name in ("registry", "evaluation", "funding", "notifications"):
        env = services[name]["environment"]
        assert env["SC_BROKER__USERNAME"] == f"sc-{name}"
        assert env["SC_BROKER__PASSWORD"].startswith(f"${{BROKER_PASSWORD_{name.upper()}:?")
        assert env["SC_SIGNING__PRIVATE_KEY"].startswith(f"${{SIGNING_KEY_{name.upper()}:?")
        assert "RABBITMQ_PASSWORD" not in str(env)
        others = [o for o in ("registry", "evaluation", "funding", "notifications") if o != name]
        assert not any(f"SIGNING_KEY_{o.upper()}" in str(env) for o in others)


def test_every_host_the_production_config_names_is_a_compose_service_or_comes_from_the_environment():
    """production.yaml pointed mail at a host ``smtp`` that nothing defines."""
    from urllib.parse import urlsplit

    from services.backbone.config import load_config

    services = compose()["services"]
    config = load_config("production", environ=PRODUCTION_KEYS)
    hosts = {urlsplit(config["broker"]["url"]).hostname, urlsplit(config["broker"]["management_url"]).hostname,
             config["store"]["postgres"]["host"]}
    assert hosts <= set(services)
    assert config["notifications"]["smtp"]["host"] == ""  # none assumed
    mail = services["notifications"]["environment"]
    for setting, variable in (("HOST", "SMTP_HOST"), ("PORT", "SMTP_PORT"), ("SENDER", "SMTP_SENDER"),
                              ("USERNAME", "SMTP_USERNAME"), ("PASSWORD", "SMTP_PASSWORD")):
        assert mail[f"SC_NOTIFICATIONS__SMTP__{setting}"].startswith(f"${{{variable}:?")
    assert mail["SC_ENV"] == "production"  # the platform's settings too, not only the mail's


def test_notifications_does_not_start_without_a_mail_server_and_a_sender():
    from services.backbone.config import ConfigError
    from services.backbone.settings import load_settings
    from services.notifications.channels import Channels

    keys = PRODUCTION_KEYS
    with pytest.raises(ConfigError, match="SC_NOTIFICATIONS__SMTP__HOST"):
        Channels.from_config(load_settings("production", environ=keys).notifications)
    with pytest.raises(ConfigError, match="SC_NOTIFICATIONS__SMTP__SENDER"):
        Channels.from_config(load_settings("production", environ={
            **keys, "SC_NOTIFICATIONS__SMTP__HOST": "mail.shanxi.gov.cn"}).notifications)
    configured = load_settings("production", environ={**keys, "SC_NOTIFICATIONS__SMTP__HOST": "mail.shanxi.gov.cn",
                                                      "SC_NOTIFICATIONS__SMTP__SENDER": "noreply@shanxi.gov.cn"})
    email = Channels.from_config(configured.notifications).by_kind["email"]
    assert (email.host, email.port) == ("mail.shanxi.gov.cn", 587)


def test_no_secret_is_written_in_the_compose_file():
    for service in compose()["services"].values():
        for key, value in (service.get("environment") or {}).items():
            if any(word in key for word in ("PASSWORD", "SECRET", "PASS")):
                assert "${" in str(value) and ":?" in str(value), key


def test_broker_definitions_are_generated_from_the_topology():
    committed = json.loads((ROOT / "infra/rabbitmq/definitions.json").read_text(encoding="utf-8"))
    assert committed == definitions("sc", 50), "run: sc broker-definitions > infra/rabbitmq/definitions.json"
    queues = {q["name"]: q for q in committed["queues"]}
    for queue in all_queues("sc", 50):
        arguments = queues[queue.name]["arguments"]
        assert arguments["x-queue-type"] == "quorum"
        if not queue.name.endswith(".dlq"):
            assert arguments["x-dead-letter-exchange"] == "sc.dead-letter"
            assert arguments["x-single-active-consumer"] is True
    assert any(p["pattern"] == r"^sc\..*\.dlq$" for p in committed["policies"])


def mounts(service: dict) -> dict[str, str]:
    """A service's volumes, target -> source (a source may be ``${VAR:?message}``)."""
    pairs = (re.sub(r":(ro|rw)$", "", volume).rsplit(":", 1) for volume in service.get("volumes", []))
    return {target: source for source, target in pairs}


def test_every_file_the_compose_file_mounts_from_the_checkout_exists():
    sources = [source for service in compose()["services"].values()
               for source in mounts(service).values() if source.startswith("./")]
    assert sources and [source for source in sources if not (ROOT / source).exists()] == []


def test_prometheus_gets_its_rules_and_scrape_token_and_grafana_its_dashboards():
    """The paths prometheus.yml and Grafana's provisioning name are where compose mounts
    the files: a rule file or dashboard mounted elsewhere would load nothing, silently."""
    services = compose()["services"]
    mounted = mounts(services["prometheus"])
    config = yaml.safe_load((ROOT / "infra/prometheus/prometheus.yml").read_text(encoding="utf-8"))
    for rule_file in config["rule_files"]:
        assert mounted[f"/etc/prometheus/{rule_file}"] == f"./infra/prometheus/{rule_file}"
    token_files = {job["authorization"]["credentials_file"] for job in config["scrape_configs"]
                   if "authorization" in job}
    assert token_files <= set(mounted)
    targets = {target.split(":")[0] for job in config["scrape_configs"]
               for static in job["static_configs"] for target in static["targets"]}
    assert targets <= set(services)
    grafana = mounts(services["grafana"])
    provider = yaml.safe_load((ROOT / "infra/grafana/provisioning/dashboards/shuangchuang.yml").read_text())
    assert grafana[provider["providers"][0]["options"]["path"]] == "./infra/grafana/dashboards"
    assert grafana["/etc/grafana/provisioning"] == "./infra/grafana/provisioning"
    source = yaml.safe_load((ROOT / "infra/grafana/provisioning/datasources/prometheus.yml").read_text())
    assert source["datasources"][0]["url"] == "http://prometheus:9090"


def compose_validator(path: Path) -> list[str]:
    """A real validator of a compose file: the docker compose client where one exists
    (it also interpolates, and checks what refers to what); otherwise check-jsonschema
    (a dev dependency) with the Compose Specification's own JSON schema that it ships.
    Debian's docker-compose 1.29 is no use: its schema predates the top-level ``name``."""
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose", "-f", str(path), "config", "-q"]
    return [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec", str(path)]


COMPOSE_ENV = {"RABBITMQ_PASSWORD": "x", "POSTGRES_PASSWORD": "x", "SC_AUTH_SECRET": "x",
               "SC_STORE_CIPHER_KEY": "x", "SMTP_HOST": "mail.example", "SMTP_PORT": "587",
               "SMTP_SENDER": "noreply@mail.example", "SMTP_USERNAME": "x", "SMTP_PASSWORD": "x",
               "SC_SCRAPE_TOKEN_FILE": "/etc/sc-scrape-token", "GRAFANA_ADMIN_PASSWORD": "x",
               "PATH": "/usr/bin:/bin"}


def test_a_compose_validator_accepts_the_file():
    result = subprocess.run(compose_validator(ROOT / "docker-compose.yml"), capture_output=True,
                            text=True, env=COMPOSE_ENV, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_compose_validator_refuses_a_file_the_specification_does_not_allow(tmp_path):
    broken = tmp_path / "docker-compose.yml"
    broken.write_text((ROOT / "docker-compose.yml").read_text(encoding="utf-8").replace(
        "condition: service_completed_successfully", "condition: service_finished"), encoding="utf-8")
    result = subprocess.run(compose_validator(broken), capture_output=True, text=True,
                            env=COMPOSE_ENV, timeout=120)
    assert result.returncode != 0
    assert "service_finished" in result.stdout + result.stderr
