"""What every benchmark stands on: a platform of its own and a few measuring tools.

``Stage`` gives one run a fresh RabbitMQ vhost (through the management API, as the test
suite does), a fresh store (a directory of SQLite files, or a PostgreSQL database), and
starts the four services as real processes (``python -m services.cli run <name>``), with
the production-like ``local`` configuration and only the addresses changed. Nothing of a
run survives it but its numbers.
"""

import dataclasses
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from contextlib import closing
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, urlsplit

import psycopg
import requests

from services.backbone.web.tokens import issue_token
from services.backbone.config import PROJECT_ROOT, load_config
from services.backbone.eventstore.stores import postgres_dsn
from services.backbone.keys import load_keys
from services.backbone.messaging.provisioning import initialise_broker, remove_users
from services.backbone.settings import Settings
from tests.support.platform import wait_until

SERVICES = ("registry", "evaluation", "funding", "notifications")
WORK_ROOT = PROJECT_ROOT / "var" / "bench"


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def peak_rss_mb(pid: int) -> dict:
    """Peak (VmHWM) and current (VmRSS) resident memory of a process, in MiB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            values[key] = round(int(rest.split()[0]) / 1024, 1)
    return {"peak_mb": values["VmHWM"], "current_mb": values["VmRSS"]}


class Vhost:
    """A RabbitMQ virtual host for one run, deleted afterwards."""

    def __init__(self, config: dict):
        self.management = config["broker"]["management_url"].rstrip("/")
        parts = urlsplit(config["broker"]["url"])
        self.name = f"sc-bench-{uuid.uuid4().hex[:10]}"
        self.user = parts.username or "guest"
        self.url = f"{parts.scheme}://{parts.netloc}/{quote(self.name, safe='')}"

    def create(self) -> "Vhost":
        vhost = quote(self.name, safe="")
        requests.put(f"{self.management}/api/vhosts/{vhost}", timeout=10).raise_for_status()
        requests.put(f"{self.management}/api/permissions/{vhost}/{self.user}", timeout=10,
                     json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
        return self

    def delete(self) -> None:
        requests.delete(f"{self.management}/api/vhosts/{quote(self.name, safe='')}", timeout=30)


class Stage:
    """One isolated run: vhost, store, service processes. Use as a context manager."""

    def __init__(self, label: str, backend: str = "sqlite"):
        self.config = load_config("local", environ={"SC_AUTH__SECRET": "bench"})
        self.backend = backend
        self.secret = os.urandom(24).hex()
        self.workdir = WORK_ROOT / f"{label}-{uuid.uuid4().hex[:8]}"
        self.store_dir = self.workdir / "store"
        self.vhost = Vhost(self.config)
        self.pg = dataclasses.replace(Settings.from_dict(self.config).store.postgres,
                                      dbname=f"sc_bench_{uuid.uuid4().hex[:10]}")
        self.ports = {name: free_port() for name in SERVICES}
        self.processes: dict[str, subprocess.Popen] = {}

    def __enter__(self) -> "Stage":
        self.store_dir.mkdir(parents=True, exist_ok=True)
        self.vhost.create()
        initialise_broker(Settings.from_dict(self.service_config()), SERVICES)
        if self.backend == "postgres":
            with psycopg.connect(postgres_dsn(self.pg, "postgres"), autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{self.pg.dbname}"')
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
        remove_users(Settings.from_dict(self.service_config()), SERVICES)
        self.vhost.delete()
        if self.backend == "postgres":
            with psycopg.connect(postgres_dsn(self.pg, "postgres"), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.pg.dbname}" WITH (FORCE)')
        shutil.rmtree(self.workdir, ignore_errors=True)

    # -- configuration -----------------------------------------------------------------

    def environment(self) -> dict:
        """The variables that give a service process this run's configuration."""
        env = dict(os.environ, SC_ENV="local", SC_AUTH__SECRET=self.secret,
                   SC_BROKER__URL=self.vhost.url, SC_STORE__BACKEND=self.backend,
                   SC_STORE__SQLITE_DIR=str(self.store_dir),
                   SC_SIGNING__KEYS_DIR=str(self.workdir / "keys"),
                   SC_NOTIFICATIONS__WEBHOOK__PRIVATE_HOSTS="127.0.0.1",  # the bench's receiver
                   SC_STORE__POSTGRES__DBNAME=self.pg.dbname)
        for name, port in self.ports.items():
            env[f"SC_SERVICES__{name.upper()}__HTTP_PORT"] = str(port)
        return env

    def service_config(self) -> dict:
        """The platform config the services run with (for opening a store here)."""
        env = {k: v for k, v in self.environment().items() if k.startswith("SC_")}
        return load_config("local", environ=env)

    def token(self, role: str, **scope) -> str:
        return issue_token(load_keys(Settings.from_dict(self.service_config()), "cli").signer, role=role, **scope)

    def headers(self, role: str, **scope) -> dict:
        return {"Authorization": f"Bearer {self.token(role, **scope)}",
                "Content-Type": "application/json"}

    def url(self, name: str, path: str = "") -> str:
        return f"http://127.0.0.1:{self.ports[name]}{path}"

    # -- processes ---------------------------------------------------------------------

    def start(self, *names: str) -> None:
        for name in names or SERVICES:
            log = open(self.workdir / f"{name}.log", "ab")
            self.processes[name] = subprocess.Popen(
                [sys.executable, "-m", "services.cli", "run", name], cwd=PROJECT_ROOT,
                env=self.environment(), stdout=log, stderr=subprocess.STDOUT)
        for name in names or SERVICES:
            wait_until(lambda: self._healthy(name), timeout=60, message=f"{name} to answer")

    def _healthy(self, name: str) -> bool:
        process = self.processes[name]
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}: {self.log(name)}")
        try:
            return requests.get(self.url(name, "/health"), timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def log(self, name: str) -> str:
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def stop(self, *names: str) -> None:
        for name in names or list(self.processes):
            process = self.processes.pop(name)
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

    def pid(self, name: str) -> int:
        return self.processes[name].pid

    # -- the raw baseline's processes ----------------------------------------------------

    def raw_store(self, name: str) -> str:
        if self.backend == "postgres":
            return f"postgres://{self.pg.dbname}/raw_{name}"
        return f"sqlite://{self.store_dir / f'raw-{name}.sqlite3'}"

    def start_raw(self, webhook: str | None = None) -> None:
        """The baseline: an HTTP source on the registry's port, three consumers."""
        from . import baseline

        if self.backend == "postgres":
            with psycopg.connect(postgres_dsn(self.pg), autocommit=True) as conn:
                for name in ("source",) + baseline.CONSUMERS:
                    conn.execute(f'CREATE SCHEMA IF NOT EXISTS "raw_{name}"')
        baseline.declare(self.vhost.url)
        # The stores' tables are made here, before the processes race to make them.
        self.source = baseline.Application(env=baseline.store_env(self.raw_store("source")))
        self.sinks = {name: baseline.Sink(env=baseline.store_env(self.raw_store(name)))
                      for name in baseline.CONSUMERS}
        prefetch = str(self.config["consumer"].get("prefetch", 50))
        commands = {"raw-source": ["source", "--port", str(self.ports["registry"])]}
        for name in baseline.CONSUMERS:
            hook = ["--webhook", webhook] if webhook and name == "notifications" else []
            commands[f"raw-{name}"] = ["consumer", name, "--prefetch", prefetch, *hook]
        for name, command in commands.items():
            store = self.raw_store(name.removeprefix("raw-"))
            log = open(self.workdir / f"{name}.log", "ab")
            self.processes[name] = subprocess.Popen(
                [sys.executable, "-m", "bench.baseline", *command, "--amqp", self.vhost.url,
                 "--store", store], cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT)
        wait_until(self._raw_source_up, timeout=30, message="the raw source to answer")

    def _raw_source_up(self) -> bool:
        try:
            with closing(socket.create_connection(("127.0.0.1", self.ports["registry"]), 1)):
                return True
        except OSError:
            return False

    def raw_consumed(self) -> dict[str, int]:
        return {name: sink.recorder.max_tracking_id("registry") or 0
                for name, sink in self.sinks.items()}

    # -- what the services say ------------------------------------------------------------

    def ops_status(self, name: str) -> dict:
        response = requests.get(self.url(name, "/ops/status"), headers=self.headers("ops"), timeout=30)
        response.raise_for_status()
        return response.json()

    def consumed(self, source: str, consumers: tuple[str, ...]) -> dict[str, int]:
        """The last position of ``source`` each consumer has applied."""
        return {name: self.ops_status(name)["consumers"][source]["last_position"]
                for name in consumers}

    def open_batch(self, name: str = "基准测试批次", quota: int = 1000) -> str:
        """Opens a declaration batch in evaluation and waits until the registry knows it."""
        now = time.time()
        body = {"name": name, "quota": quota,
                "opens_at": _iso(now - 86400), "closes_at": _iso(now + 30 * 86400)}
        response = requests.post(self.url("evaluation", "/batches"), json=body,
                                 headers=self.headers("drc"), timeout=30)
        response.raise_for_status()
        batch_id = response.json()["batch_id"]
        wait_until(lambda: any(b["batch_id"] == batch_id for b in requests.get(
            self.url("registry", "/batches"), headers=self.headers("drc"), timeout=10,
        ).json()["batches"]), timeout=60, message="the registry to learn of the batch")
        return batch_id


def _iso(seconds: float) -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(seconds, timezone.utc).isoformat()


def declaration(batch_id: str, number: int, run: str = "") -> dict:
    """A valid declaration; names are unique within a run."""
    kinds = ("university", "regional", "enterprise")
    counties = (("太原市", "小店区"), ("吕梁市", "孝义市"), ("大同市", "平城区"), ("长治市", "潞州区"))
    city, county = counties[number % len(counties)]
    return {
        "name": f"基准测试基地{run}{number:07d}",
        "kind": kinds[number % len(kinds)],
        "region": {"city": city, "county": county},
        "competent_department": "山西省发展和改革委员会",
        "batch_id": batch_id,
        "contacts": [{"name": "王老师", "phone": "0351-7010000", "email": "bench@example.cn",
                      "role": "primary"}],
    }


class Client:
    """A keep-alive HTTP connection posting JSON; one per sending thread."""

    def __init__(self, port: int, headers: dict):
        self.connection = HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = headers

    def post(self, path: str, body: bytes) -> int:
        self.connection.request("POST", path, body=body, headers=self.headers)
        response = self.connection.getresponse()
        response.read()
        return response.status

    def close(self) -> None:
        self.connection.close()


class WebhookReceiver:
    """An HTTP server in the benchmark process: notes when each webhook arrives, by the
    base name it is about (the platform's delivery body and the baseline's both carry it)."""

    def __init__(self):
        self.arrivals: dict[str, float] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out at once

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                arrived = time.perf_counter()
                name = json.loads(body)["event"]["payload"]["name"]
                with receiver.lock:
                    receiver.arrivals.setdefault(name, arrived)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/bench"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
