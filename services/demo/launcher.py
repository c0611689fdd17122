"""The demo's own platform: a fresh RabbitMQ vhost, a fresh SQLite directory, a secret
and free ports, and the four services started as processes with that configuration.

Everything is passed to the services as ``SC_*`` environment variables, exactly as an
operator would configure them, so the demo exercises the services as they are deployed.
The vhost and ports are the run's own, so a demo never meets the data of ``make run``
(ports 8101-8104), of the tests, or of another demo running at the same time.
"""

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from urllib.parse import quote, urlparse, urlunparse

import requests

from services.backbone.config import PROJECT_ROOT, load_config
from services.backbone.keys import load_keys
from services.backbone.messaging.provisioning import initialise_broker
from services.backbone.runner import RUNNABLE, SERVICE_CLASSES
from services.backbone.settings import Settings

from .polling import DemoFailed, wait_for

DEMO_ROOT = PROJECT_ROOT / "var" / "demo"
VHOST_PREFIX = "sc-demo-"

# What each service process runs first: it asks Linux for SIGTERM should the demo die
# without stopping it (killed with SIGKILL, say), then becomes the service. The demo
# starts it in a session of its own, so that Ctrl-C reaches the demo alone, which then
# stops the services in order.
SERVICE_PROCESS = """\
import ctypes, os, signal, sys
try:
    ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
except (AttributeError, OSError):
    pass  # not Linux: a service orphaned by a killed demo has to be stopped by hand
if os.getppid() != int(sys.argv[2]):
    sys.exit("the demo is gone")
os.execv(sys.executable, [sys.executable, "-m", "services.cli", "run", sys.argv[1]])
"""


def free_port() -> int:
    """A port nothing listens on now, chosen by the kernel (never 8101-8104 in use)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ManagementApi:
    """The few calls of RabbitMQ's management API the demo needs: vhosts."""

    def __init__(self, management_url: str):
        api = urlparse(management_url)
        self.base = f"{api.scheme}://{api.hostname}:{api.port or 15672}/api"
        self.auth = (api.username or "guest", api.password or "guest")
        self.user = self.auth[0]

    def _call(self, method: str, path: str, **kwargs) -> requests.Response:
        return requests.request(method, f"{self.base}{path}", auth=self.auth, timeout=10, **kwargs)

    def create_vhost(self, name: str) -> None:
        vhost = quote(name, safe="")
        self._call("PUT", f"/vhosts/{vhost}", json={"description": "make demo"}).raise_for_status()
        self._call("PUT", f"/permissions/{vhost}/{quote(self.user, safe='')}",
                   json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()

    def delete_vhost(self, name: str) -> None:
        """The vhost, and the services' broker users made for it (named after it)."""
        response = self._call("DELETE", f"/vhosts/{quote(name, safe='')}")
        if response.status_code not in (204, 404):
            response.raise_for_status()
        for service in RUNNABLE:  # the console's too, when the demo served it
            self._call("DELETE", f"/users/{quote(f'{name}-sc-{service}', safe='')}")

    def vhosts(self) -> list[str]:
        response = self._call("GET", "/vhosts")
        response.raise_for_status()
        return [vhost["name"] for vhost in response.json()]


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Launcher:
    """Prepares an isolated platform, starts its services, and takes it all down again."""

    def __init__(self, keep: bool = False, log=print, console: bool = False):
        self.keep = keep
        # ``make demo ARGS=--serve`` also runs the console, for people to sign in to.
        self.names = RUNNABLE if console else SERVICE_CLASSES
        self.log = log
        local = load_config("local", environ={"SC_AUTH__SECRET": "unused"})
        self.management = ManagementApi(local["broker"]["management_url"])
        self.run_name = f"{VHOST_PREFIX}{os.getpid()}-{secrets.token_hex(3)}"
        self.directory = DEMO_ROOT / self.run_name
        self.ports = {name: free_port() for name in self.names}
        self.smtp_port = free_port()  # the demo's own mail server (mailbox.py)
        self.receiver_port = free_port()  # the county's webhook receiver (receiver.py)
        self.secret = secrets.token_urlsafe(48)
        broker = urlparse(local["broker"]["url"])
        self.broker_url = urlunparse(broker._replace(path="/" + quote(self.run_name, safe="")))
        self.processes: dict[str, subprocess.Popen] = {}
        self._vhost_made = False

    # -- configuration --------------------------------------------------------------------

    def environment(self) -> dict[str, str]:
        """The SC_* variables that make a service (or the demo itself) this platform."""
        variables = {
            "SC_ENV": "local",
            "SC_BROKER__URL": self.broker_url,
            "SC_AUTH__SECRET": self.secret,
            "SC_STORE__BACKEND": "sqlite",
            "SC_STORE__SQLITE_DIR": str(self.directory / "store"),
            "SC_SIGNING__KEYS_DIR": str(self.directory / "keys"),
            # the sender also wakes after every commit; the timer only catches stragglers
            "SC_NOTIFICATIONS__POLL_INTERVAL_SECONDS": "0.5",
            "SC_NOTIFICATIONS__SMTP__HOST": "127.0.0.1",
            "SC_NOTIFICATIONS__SMTP__PORT": str(self.smtp_port),
            # the one private destination webhooks may reach: the demo's receiver
            "SC_NOTIFICATIONS__WEBHOOK__PRIVATE_HOSTS": f"127.0.0.1:{self.receiver_port}",
        }
        for name, port in self.ports.items():
            variables[f"SC_SERVICES__{name.upper()}__HTTP_PORT"] = str(port)
        return variables

    def config(self) -> dict:
        """The platform's config as the services read it, for the demo's own tools."""
        return load_config("local", environ=self.environment())

    def signer(self):
        """sc's key of this run (the cli issuer), which the demo's actors' tokens are signed with."""
        return load_keys(Settings.from_dict(self.config()), "cli").signer

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        self._remove_leftovers()
        self.directory.mkdir(parents=True)
        (self.directory / "logs").mkdir()
        self.management.create_vhost(self.run_name)
        self._vhost_made = True
        initialise_broker(Settings.from_dict(self.config()), self.names)
        for name in self.names:
            self._spawn(name)
        for name in self.names:
            wait_for(lambda name=name: self._healthy(name), timeout=60,
                     what=f"{name} to answer on {self.url(name)}/health")

    def _spawn(self, name: str, **extra: str) -> None:
        environ = {**os.environ, **self.environment(), "PYTHONUNBUFFERED": "1", **extra}
        log_file = open(self.directory / "logs" / f"{name}.log", "ab")
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-c", SERVICE_PROCESS, name, str(os.getpid())], cwd=PROJECT_ROOT,
            env=environ, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
        log_file.close()

    def restart(self, name: str, **extra: str) -> None:
        """Stops one service and starts it again with ``extra`` SC_* variables (the
        demo moves evaluation's clock on this way: what it must do then, it finds in
        its own log)."""
        process = self.processes[name]
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        self._spawn(name, **extra)
        wait_for(lambda: self._healthy(name), timeout=60,
                 what=f"{name} to answer again on {self.url(name)}/health")

    def _healthy(self, name: str) -> bool:
        process = self.processes[name]
        if process.poll() is not None:
            raise DemoFailed(f"{name} exited with status {process.returncode}:\n{self.log_tail(name)}")
        try:
            return requests.get(f"{self.url(name)}/health", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def check_running(self) -> None:
        """Fails the demo as soon as a service has died, with the end of its log."""
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise DemoFailed(f"{name} exited with status {process.returncode}:\n"
                                 f"{self.log_tail(name)}")

    def log_tail(self, name: str, size: int = 3000) -> str:
        path = self.directory / "logs" / f"{name}.log"
        return path.read_text(errors="replace")[-size:] if path.exists() else "(no log)"

    def stop(self, succeeded: bool) -> None:
        """Stops every service (SIGTERM, then SIGKILL after 15 s), deletes the vhost, and
        removes the run's directory unless the run failed or ``keep`` was asked for."""
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for name, process in self.processes.items():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.log(f"  {name} did not stop in time; killing it")
                process.kill()
                process.wait()
        if self._vhost_made:
            try:
                self.management.delete_vhost(self.run_name)
            except requests.RequestException as error:
                self.log(f"  could not delete vhost {self.run_name}: {error}")
        if succeeded and not self.keep:
            shutil.rmtree(self.directory, ignore_errors=True)
        elif self.directory.exists():
            self.log(f"  stores and service logs kept in {self.directory}")

    def _remove_leftovers(self) -> None:
        """Vhosts of earlier demos whose process is gone (killed hard, so they could not
        clean up). A demo still running keeps its own; directories stay for reading."""
        try:
            names = [v for v in self.management.vhosts() if v.startswith(VHOST_PREFIX)]
        except requests.RequestException as error:
            raise DemoFailed(f"RabbitMQ's management API does not answer ({error}); "
                             "run infra/scripts/ensure-rabbitmq.sh") from None
        for name in names:
            if not _pid_alive(_run_pid(name)):
                self.management.delete_vhost(name)


def _run_pid(run_name: str) -> int:
    try:
        return int(run_name[len(VHOST_PREFIX):].split("-", 1)[0])
    except ValueError:
        return -1
