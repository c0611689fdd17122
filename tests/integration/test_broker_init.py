"""sc broker-init imports the definitions: queues and the dead-letter policy exist
before any service has started, and importing twice changes nothing."""

import subprocess
import sys

import requests

from services.backbone.config import PROJECT_ROOT


def test_broker_init_declares_topology_and_policies_in_an_empty_vhost(platform, rabbit_config):
    env = platform.environment()
    for _ in range(2):
        result = subprocess.run([sys.executable, "-m", "services.cli", "broker-init"],
                                cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
    vhost = rabbit_config["vhost"]
    api = "http://127.0.0.1:15672/api"
    queues = requests.get(f"{api}/queues/{vhost}", auth=("guest", "guest")).json()
    names = {q["name"] for q in queues}
    assert "sc.registry.from.evaluation" in names and "sc.registry.from.evaluation.dlq" in names
    policies = requests.get(f"{api}/policies/{vhost}", auth=("guest", "guest")).json()
    assert [p["name"] for p in policies] == ["sc-dead-letters-bounded"]
