"""sc broker-init imports the definitions: queues and the dead-letter policy exist
before any service has started, and importing twice changes nothing. It works from the
package as the image installs it (no checkout to read files from), with the delivery
limit of the running config."""

import subprocess
import sys
from urllib.parse import quote
from uuid import uuid4

import pytest
import requests
from kombu import Connection

from services.backbone.config import PROJECT_ROOT
from tests.support.installed import install_as_the_image_does, installed_environment

API = "http://127.0.0.1:15672/api"


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    return install_as_the_image_does(tmp_path_factory.mktemp("image"))


def queues_of(vhost: str) -> dict:
    return {q["name"]: q for q in requests.get(f"{API}/queues/{vhost}", auth=("guest", "guest")).json()}


def test_broker_init_declares_topology_and_policies_in_an_empty_vhost(platform, rabbit_config):
    env = platform.environment()
    for _ in range(2):
        result = subprocess.run([sys.executable, "-m", "services.cli", "broker-init"],
                                cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
    vhost = rabbit_config["vhost"]
    names = set(queues_of(vhost))
    assert "sc.registry.from.evaluation" in names and "sc.registry.from.evaluation.dlq" in names
    policies = requests.get(f"{API}/policies/{vhost}", auth=("guest", "guest")).json()
    assert [p["name"] for p in policies] == ["sc-dead-letters-bounded"]


def test_broker_init_from_the_installed_package_uses_the_running_config(platform, rabbit_config,
                                                                       installed, tmp_path):
    probe = subprocess.run([sys.executable, "-c", "import services, sys; print(services.__file__)"],
                           cwd=tmp_path, env=installed_environment(installed, {}),
                           capture_output=True, text=True, timeout=60)
    assert probe.stdout.startswith(str(installed)), "the test must run the installed copy"

    for queue in queues_of(rabbit_config["vhost"]):  # as an empty vhost: the fixture made them
        requests.delete(f"{API}/queues/{quote(rabbit_config['vhost'], safe='')}/{quote(queue, safe='')}",
                        auth=("guest", "guest"), timeout=10).raise_for_status()
    env = installed_environment(installed, platform.environment({"SC_CONSUMER__DELIVERY_LIMIT": "7"}))
    result = subprocess.run([sys.executable, "-m", "services.cli", "broker-init"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    queues = queues_of(rabbit_config["vhost"])
    inbox = queues["sc.funding.from.evaluation"]["arguments"]
    assert inbox["x-delivery-limit"] == 7 and inbox["x-queue-type"] == "quorum"
    assert "sc.notifications.from.funding.dlq" in queues


def test_the_installed_package_carries_its_data_files(installed, tmp_path):
    """Rubrics, adjustment and redeclaration policies, the working-day calendar and the
    first batch are package data: without them the services do not start in the image."""
    script = ("from services.evaluation.catalogue import load_catalogue\n"
              "from services.registry.fixtures import first_batch\n"
              "from services.registry.redeclaration import policies\n"
              "from services.backbone.calendar.workdays import working_calendar\n"
              "catalogue = load_catalogue()\n"
              "print(len(catalogue.rubrics), len(catalogue.policies), len(first_batch()),\n"
              "      len(policies()), 2017 in working_calendar().holidays)\n")
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path,
                            env=installed_environment(installed, {}), capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["4", "3", "12", "1", "True"]


@pytest.fixture
def broker_user(rabbit_config):
    """A broker user whose password has every character a URL gives a meaning to; an
    administrator, as compose's RABBITMQ_DEFAULT_USER is (importing definitions needs it)."""
    name, password = f"sc-{uuid4().hex[:8]}", "p@ss/w#rd?&=:%+ 1"
    user = f"{API}/users/{quote(name, safe='')}"
    requests.put(user, json={"password": password, "tags": "administrator"},
                 auth=("guest", "guest")).raise_for_status()
    requests.put(f"{API}/permissions/{rabbit_config['vhost']}/{quote(name, safe='')}",
                 json={"configure": ".*", "write": ".*", "read": ".*"},
                 auth=("guest", "guest")).raise_for_status()
    yield name, password
    requests.delete(user, auth=("guest", "guest"))


def test_broker_credentials_with_url_characters_reach_amqp_and_the_management_api(
        platform, rabbit_config, broker_user):
    from services.backbone.config import load_config

    name, password = broker_user
    # Credentials in the URLs are replaced by those given apart (and guest is refused).
    credentials = {"SC_BROKER__URL": f"amqp://guest:wrong@127.0.0.1:5672/{rabbit_config['vhost']}",
                   "SC_BROKER__MANAGEMENT_URL": "http://guest:wrong@127.0.0.1:15672",
                   "SC_BROKER__USERNAME": name, "SC_BROKER__PASSWORD": password}
    result = subprocess.run([sys.executable, "-m", "services.cli", "broker-init"], cwd=PROJECT_ROOT,
                            env=platform.environment(credentials), capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "sc.registry.from.evaluation" in queues_of(rabbit_config["vhost"])

    config = load_config("test", environ={"SC_AUTH__SECRET": "x" * 32, **credentials})
    with Connection(config["broker"]["url"], connect_timeout=5) as connection:
        connection.ensure_connection(max_retries=1)
        assert connection.connected
