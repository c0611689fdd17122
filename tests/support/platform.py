"""Helpers to run the platform's services in tests: in-process nameko containers, or
real subprocesses (for tests that kill them)."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Callable

import requests
from nameko.testing.utils import find_free_port, get_extension

from services.backbone.web.tokens import issue_token
from services.backbone.messaging.broker import nameko_config
from services.backbone.config import PROJECT_ROOT, load_config, merge
from services.backbone.dependencies import EventStore
from services.backbone.keys import load_keys
from services.backbone.messaging.provisioning import initialise_broker, remove_users
from services.backbone.runner import RUNNABLE, service_class
from services.backbone.settings import Settings
from services.backbone.ops.polling import poll


def wait_until(predicate: Callable[[], object], timeout: float = 10.0, interval: float = 0.05,
               message: str = "condition"):
    """Polls until ``predicate()`` is truthy; returns its value or fails the test."""
    return poll(predicate, timeout=timeout, what=message, interval=interval, error=AssertionError)


class Platform:
    """One isolated platform for one test: config, tokens, services."""

    def __init__(self, config: dict, container_factory):
        self.config = config
        self.settings = Settings.from_dict(config)
        self.issuer = load_keys(self.settings, "cli").signer
        initialise_broker(self.settings, RUNNABLE)  # as make run and broker-init do
        self._container_factory = container_factory
        self.containers = {}
        self.processes: dict[str, subprocess.Popen] = {}  # by instance: "registry", "registry#2"
        self._instance_ports: dict[str, int] = {}

    # -- identity -----------------------------------------------------------------------

    def token(self, role: str, **scope) -> str:
        """A token as ``sc token`` issues it (sc's key of this test)."""
        return issue_token(self.issuer, role=role, **scope)

    def headers(self, role: str, **scope) -> dict:
        return {"Authorization": f"Bearer {self.token(role, **scope)}"}

    def applicant(self, unit: str = "山西大学", **scope) -> dict:
        """Headers of the applicant of ``unit``: its token names the unit as its
        organisation, in whose name alone it declares."""
        return self.headers("applicant", **{"name": unit, "org": unit, **scope})

    # -- in-process services ------------------------------------------------------------------

    def start(self, *names: str):
        for name in names:
            container = self._container_factory(service_class(name), nameko_config(self.config, name))
            container.start()
            self.containers[name] = container
        return self

    def config_for_clients(self) -> dict:
        """nameko config for test-side services and RPC clients (no web server)."""
        return nameko_config(self.config)

    def app(self, name: str):
        return get_extension(self.containers[name], EventStore).app

    def url(self, name: str, path: str = "") -> str:
        """The HTTP address of a service, or of one instance of it (``registry#2``)."""
        return f"http://127.0.0.1:{self.port(name)}{path}"

    def port(self, instance: str) -> int:
        service, _, number = instance.partition("#")
        if not number:
            return self.config["services"][service]["http_port"]
        return self._instance_ports.setdefault(instance, find_free_port())

    def stop(self, name: str):
        self.containers.pop(name).stop()

    # -- subprocess services -------------------------------------------------------------------

    def environment(self, extra: dict | None = None) -> dict:
        """Environment variables that give a subprocess this platform's config."""
        env = dict(os.environ)
        env["SC_ENV"] = "test"
        flat = {
            "SC_BROKER__URL": self.config["broker"]["url"],
            "SC_AUTH__SECRET": self.config["auth"]["secret"],
            "SC_STORE__BACKEND": self.config["store"]["backend"],
            "SC_STORE__SQLITE_DIR": self.config["store"]["sqlite_dir"],
            "SC_STORE__POSTGRES__DBNAME": self.config["store"]["postgres"]["dbname"],
            "SC_STORE__ENCRYPTED_SERVICES": ",".join(self.config["store"]["encrypted_services"]),
            "SC_SIGNING__KEYS_DIR": self.config["signing"]["keys_dir"],
        }
        for name in ("registry", "evaluation", "funding", "notifications", "console"):
            flat[f"SC_SERVICES__{name.upper()}__HTTP_PORT"] = str(self.config["services"][name]["http_port"])
        env.update(flat)
        env.update(extra or {})
        return env

    def spawn(self, name: str, env: dict | None = None, wait: bool = True) -> subprocess.Popen:
        """Starts a service as a process of its own; ``name`` may name a further
        instance (``registry#2``: the same service on the same store, its own HTTP port)."""
        service = name.partition("#")[0]
        log_path = self.log_path(name)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        own = {f"SC_SERVICES__{service.upper()}__HTTP_PORT": str(self.port(name)),
               "PGAPPNAME": name}  # pg_stat_activity says which instance a connection is
        process = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "run", service],
            cwd=PROJECT_ROOT, env=self.environment({**own, **(env or {})}),
            stdout=open(log_path, "ab"), stderr=subprocess.STDOUT,
        )
        self.processes[name] = process
        if wait:
            self.wait_http(name, process)
        return process

    def wait_http(self, name: str, process: subprocess.Popen | None = None, timeout: float = 30):
        def up():
            if process is not None and process.poll() is not None:
                raise AssertionError(f"{name} exited with {process.returncode}: {self.log(name)}")
            try:
                return requests.get(self.url(name, "/health"), timeout=1).status_code == 200
            except requests.RequestException:  # not listening yet, or too busy starting
                return False

        wait_until(up, timeout=timeout, message=f"{name} to answer HTTP")

    def log_path(self, name: str) -> Path:
        """The output of every life of a service's (or instance's) processes."""
        return Path(self.config["store"]["sqlite_dir"]) / f"{name}.log"

    def log(self, name: str, tail: int | None = 5000) -> str:
        path = self.log_path(name)
        text = path.read_text(errors="replace") if path.exists() else ""
        return text[-tail:] if tail else text

    def kill(self, name: str, sig=signal.SIGKILL) -> int:
        process = self.processes.pop(name)
        if process.poll() is None:
            process.send_signal(sig)
        return process.wait(timeout=30)

    def shutdown(self):
        for name in list(self.processes):
            self.kill(name, signal.SIGTERM if self.processes[name].poll() is None else signal.SIGKILL)
        for container in self.containers.values():  # before their broker users go
            container.stop()
        remove_users(self.settings, RUNNABLE)


def store_config(request, tmp_path: Path) -> dict:
    """A config for applications built in the test itself, on the store backend that
    ``request.param`` names ("sqlite", or "postgres" in a fresh database); no broker."""
    if request.param == "sqlite":
        return make_config(amqp_uri="amqp://unused/", tmp_path=tmp_path)
    return make_config(amqp_uri="amqp://unused/", tmp_path=tmp_path, backend="postgres",
                       postgres_db=request.getfixturevalue("postgres_db"))


def make_config(*, amqp_uri: str, tmp_path: Path, backend: str = "sqlite",
                postgres_db: str | None = None, overrides: dict | None = None) -> dict:
    services = {name: {"http_port": find_free_port()}
                for name in ("registry", "evaluation", "funding", "notifications", "console")}
    changes = {
        "broker": {"url": amqp_uri},
        "auth": {"secret": os.urandom(24).hex()},
        "store": {"backend": backend, "sqlite_dir": str(tmp_path / "store")},
        "signing": {"keys_dir": str(tmp_path / "keys")},  # key pairs made for this test
        "documents": {"files_dir": str(tmp_path / "documents")},
        "services": services,
    }
    if postgres_db:
        changes["store"]["postgres"] = {"dbname": postgres_db}
    config = load_config("test", overrides=merge(changes, overrides or {}), environ={})
    return config


def dumps(data) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode()
