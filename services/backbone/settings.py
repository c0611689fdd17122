"""Typed, frozen settings, built once from the loaded configuration.

``load_config`` reads the environment's YAML and the ``SC_*`` variables into a dict (the
one place values and their defaults are written: ``infra/config/<env>.yaml``);
``Settings.from_dict`` checks every key and type once, naming the key that is wrong, so
code reads ``settings.consumer.max_attempts`` and never casts or defaults again.
"""

import collections.abc
import dataclasses
import types
import typing
from dataclasses import dataclass
from typing import Any, Mapping

from services.backbone.config import ConfigError, load_config


@dataclass(frozen=True)
class BrokerSettings:
    url: str
    management_url: str
    namespace: str
    heartbeat: int
    rpc_timeout_seconds: float
    service_passwords: Mapping[str, str]  # for broker-init: each service's broker user
    username: str = ""  # already folded into the URLs by load_config
    password: str = ""


@dataclass(frozen=True)
class PostgresSettings:
    host: str
    port: int
    user: str
    password: str
    dbname: str
    pool_size: int


@dataclass(frozen=True)
class StoreSettings:
    backend: str
    sqlite_dir: str
    cipher_key: str
    encrypted_services: tuple[str, ...]
    read_plaintext: bool
    lock_timeout_seconds: int
    aggregate_cache: int
    postgres: PostgresSettings

    def __post_init__(self):
        if self.backend not in ("sqlite", "postgres"):
            raise ConfigError(f"store.backend: {self.backend!r} is neither sqlite nor postgres")


@dataclass(frozen=True)
class AuthSettings:
    secret: str  # local derivations only (broker passwords, the local cipher key); tokens are signed by keys
    issuers: tuple[str, ...]  # who may sign tokens for people and machines (their public keys: signing)
    token_ttl_hours: float  # sc token's default
    max_token_ttl_hours: float  # the longest sc token issues (machines: a department's, a scrape's)


@dataclass(frozen=True)
class SigningSettings:
    """Ed25519 keys: this process's own, and the public keys it trusts (services/backbone/keys.py)."""

    keys_dir: str
    private_key: str
    public_keys: Mapping[str, str]


@dataclass(frozen=True)
class RelaySettings:
    enabled: bool
    batch_size: int
    poll_interval_seconds: float
    position_save_seconds: float


@dataclass(frozen=True)
class ConsumerSettings:
    max_attempts: int
    retry_backoff_seconds: float
    delivery_limit: int
    max_message_bytes: int
    max_run: int
    prefetch: int
    linger_seconds: Mapping[str, float]

    def linger_for(self, service: str) -> float:
        return self.linger_seconds.get(service, 0.0)


@dataclass(frozen=True)
class HttpSettings:
    """``services:`` in the YAML: where each service listens, and the HTTP limits."""

    host: str
    max_workers: int
    max_body_bytes: int
    ports: Mapping[str, int]

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], path: str) -> "HttpSettings":
        data = dict(data)
        ports = {}
        for name in [key for key, value in data.items() if isinstance(value, Mapping)]:
            section = data.pop(name)
            if set(section) != {"http_port"}:
                raise ConfigError(f"{path}.{name}: only http_port is set per service")
            ports[name] = _convert(section["http_port"], int, f"{path}.{name}.http_port")
        return _build(cls, {**data, "ports": ports}, path)

    def port(self, service: str) -> int:
        try:
            return self.ports[service]
        except KeyError:
            raise ConfigError(f"services.{service}.http_port is not set") from None


@dataclass(frozen=True)
class Thresholds:
    queue_depth: int
    dead_letters: int
    relay_lag: int
    consumer_lag: int
    relay_failing_seconds: float
    forgeries: int


@dataclass(frozen=True)
class OpsSettings:
    thresholds: Thresholds


@dataclass(frozen=True)
class EvaluationSettings:
    rubrics: Mapping[str, str]
    adjustment_policy: str
    deadline_check_seconds: float
    # The demo's replay only: the service's clock runs this many days ahead, so that a
    # notice's period can end within the run (and its deadline fire after a restart).
    clock_offset_days: float = 0.0


@dataclass(frozen=True)
class IdempotencySettings:
    """``idempotency:``: how long an ``Idempotency-Key`` answers as its first request
    did, and how long a request waits for a concurrent one with its key to answer."""

    ttl_seconds: float
    wait_seconds: float


@dataclass(frozen=True)
class FundingSettings:
    conflict_attempts: int
    conflict_backoff_seconds: float


@dataclass(frozen=True)
class WebhookSettings:
    timeout_seconds: float
    private_hosts: tuple[str, ...]  # the private destinations webhooks may reach: host or host:port
    require_https: bool
    ca_certs: str


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    username: str
    password: str
    starttls: bool
    ca_certs: str
    timeout_seconds: float


@dataclass(frozen=True)
class NotificationsSettings:
    max_attempts: int
    backoff_seconds: float
    backoff_max_seconds: float
    infrastructure_retry_seconds: float
    poll_interval_seconds: float
    concurrency: int
    attempt_lease_seconds: float
    webhook: WebhookSettings
    smtp: SmtpSettings
    backfill_rate_per_second: float = 20.0  # a backfill's pace unless its request asks less
    backfill_max_rate_per_second: float = 100.0  # the most a backfill request may ask for


@dataclass(frozen=True)
class LockoutSettings:
    account_failures: int  # failed sign-ins of one account before it is locked
    address_failures: int  # failed sign-ins from one client address before it is locked
    window_minutes: float  # failures older than this are forgotten
    lock_minutes: float  # how long a lock lasts


@dataclass(frozen=True)
class ConsoleSettings:
    session_idle_minutes: float
    session_max_hours: float
    cookie_secure: bool  # Secure cookies: the console is served over HTTPS (production)
    service_token_minutes: float  # lifetime of the token a page's call to a service carries
    api_timeout_seconds: float
    max_upload_bytes: int  # a larger request body gets the oversized-upload page, unread
    lockout: LockoutSettings
    api: Mapping[str, str]  # each service's address as the console calls it ("": its own)


@dataclass(frozen=True)
class DocumentSettings:
    """Where attached documents' bytes are kept (``services/backbone/documents``), and
    how large one upload may be: its own limit, far above ``services.max_body_bytes``
    (1 MiB), which every JSON command keeps."""

    backend: str  # files: one file per hash under files_dir; postgres: a table in the service's store
    files_dir: str
    max_upload_bytes: int

    def __post_init__(self):
        if self.backend not in ("files", "postgres"):
            raise ConfigError(f"documents.backend: {self.backend!r} is neither files nor postgres")
        if self.max_upload_bytes < 1:
            raise ConfigError("documents.max_upload_bytes must be at least 1")


@dataclass(frozen=True)
class Settings:
    """The whole platform's settings; every process builds them once at start."""

    environment: str
    broker: BrokerSettings
    store: StoreSettings
    auth: AuthSettings
    signing: SigningSettings
    relay: RelaySettings
    consumer: ConsumerSettings
    services: HttpSettings
    ops: OpsSettings
    evaluation: EvaluationSettings
    funding: FundingSettings
    notifications: NotificationsSettings
    console: ConsoleSettings
    documents: DocumentSettings
    idempotency: IdempotencySettings

    def __post_init__(self):
        if self.documents.backend == "postgres" and self.store.backend != "postgres":
            raise ConfigError("documents.backend: postgres keeps documents in the service's "
                              "store, which needs store.backend: postgres")

    @classmethod
    def from_dict(cls, config: Mapping[str, Any]) -> "Settings":
        """Checks and converts a loaded configuration; a missing, unknown or mistyped key
        stops the start with its dotted name."""
        if isinstance(config, Settings):
            return config
        return _build(cls, config, "")

    def service(self, name: str) -> Any:
        """The section of one service (``evaluation``, ``funding``...), or None."""
        return getattr(self, name, None) if name in _SERVICE_SECTIONS else None


_SERVICE_SECTIONS = ("evaluation", "funding", "notifications", "console")


def load_settings(environment: str | None = None, overrides: Mapping[str, Any] | None = None,
                  environ: Mapping[str, str] | None = None) -> Settings:
    """``load_config`` (YAML, then ``SC_*`` variables, then ``overrides``), checked and typed."""
    return Settings.from_dict(load_config(environment, overrides, environ))


def _build(cls, data: Any, path: str):
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path or 'the configuration'} must be a section (key: value)")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ConfigError(f"{_join(path, unknown[0])} is not a setting "
                          f"(known in {path or 'the top level'}: {', '.join(fields)})")
    values = {}
    for name, field in fields.items():
        key = _join(path, name)
        if name not in data:
            if field.default is dataclasses.MISSING:
                raise ConfigError(f"{key} is not set")
            continue
        values[name] = _convert(data[name], hints[name], key)
    return cls(**values)


def _convert(value: Any, hint: Any, key: str) -> Any:
    origin = typing.get_origin(hint)
    if dataclasses.is_dataclass(hint):
        builder = getattr(hint, "from_mapping", None)
        return builder(value, key) if builder else _build(hint, value, key)
    if origin is tuple:
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)):
            raise ConfigError(f"{key}: {value!r} is not a list")
        item_type = typing.get_args(hint)[0]
        return tuple(_convert(item, item_type, f"{key}[{i}]") for i, item in enumerate(items))
    if origin in (collections.abc.Mapping, dict):
        if not isinstance(value, Mapping):
            raise ConfigError(f"{key}: {value!r} is not a section")
        value_type = typing.get_args(hint)[1]
        return types.MappingProxyType(
            {str(k): _convert(v, value_type, _join(key, str(k))) for k, v in value.items()})
    return _scalar(value, hint, key)


def _scalar(value: Any, hint: type, key: str) -> Any:
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{key}: {value!r} is not a boolean (true or false)")
    if hint in (int, float):
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ConfigError(f"{key}: {value!r} is not a number")
        try:
            number = float(value) if hint is float else int(str(value).strip())
        except ValueError:
            raise ConfigError(f"{key}: {value!r} is not {'a number' if hint is float else 'a whole number'}") from None
        return number
    if hint is str:
        if value is None:
            return ""
        if isinstance(value, (dict, list)):
            raise ConfigError(f"{key}: expected text, got {type(value).__name__}")
        return str(value)
    raise TypeError(f"{key}: settings of type {hint!r} are not supported")


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
