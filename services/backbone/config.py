"""Platform configuration: one YAML file per environment, any value overridable by env.

``SC_ENV`` picks ``infra/config/<env>.yaml`` (default ``local``); ``SC_CONFIG_DIR`` points
elsewhere. ``SC_<SECTION>__<KEY>[__<KEY>...]=value`` overrides one value; the value is read
as a YAML scalar, so ``SC_CONSUMER__MAX_ATTEMPTS=7`` stays an integer.
"""

import copy
import hashlib
import hmac
import os
import secrets
from pathlib import Path
from typing import Any, Mapping

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ENV_PREFIX = "SC_"
RESERVED = {"SC_ENV", "SC_CONFIG_DIR", "SC_FAILPOINTS"}


class ConfigError(RuntimeError):
    """The configuration is missing something the platform cannot run without."""


def config_dir() -> Path:
    return Path(os.environ.get("SC_CONFIG_DIR") or PROJECT_ROOT / "infra" / "config")


def load_config(
    environment: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Reads the environment's YAML, applies ``SC_*`` variables, then ``overrides``
    (a nested dict, used by tests), and resolves the auth secret."""
    environ = os.environ if environ is None else environ
    environment = environment or environ.get("SC_ENV", "local")
    path = config_dir() / f"{environment}.yaml"
    if not path.exists():
        raise ConfigError(f"no configuration file for environment {environment!r}: {path} "
                          "(SC_CONFIG_DIR names the directory of the config files)")
    config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}

    for name, raw in environ.items():
        if name.startswith(ENV_PREFIX) and name not in RESERVED and "__" in name:
            keys = [k.lower() for k in name[len(ENV_PREFIX):].split("__")]
            _set_path(config, keys, yaml.safe_load(raw) if raw != "" else "")
    if overrides:
        config = merge(config, overrides)

    config["auth"]["secret"] = _resolve_secret(config)
    _resolve_cipher_key(config)
    return config


def merge(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of ``base`` with ``changes`` merged in, nested dicts key by key."""
    result = copy.deepcopy(dict(base))
    for key, value in changes.items():
        if isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def _set_path(config: dict, keys: list[str], value: Any) -> None:
    node = config
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    node[keys[-1]] = value


def _resolve_secret(config: dict) -> str:
    """The token-signing secret comes from config. A local run with none configured
    makes a random one, kept in var/secret so that issued tokens stay valid."""
    secret = str(config.get("auth", {}).get("secret") or "")
    if secret:
        return secret
    if config.get("environment") != "local":
        raise ConfigError("auth.secret is not set (set SC_AUTH__SECRET)")
    path = PROJECT_ROOT / "var" / "secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def _resolve_cipher_key(config: dict) -> None:
    """The key that encrypts the stores of ``store.encrypted_services`` at rest. In
    production it is configured on its own (so that rotating the token secret does not
    lock the logs); elsewhere, when empty, it is derived from the auth secret."""
    store = config.setdefault("store", {})
    if store.get("cipher_key") or not store.get("encrypted_services"):
        return
    if config.get("environment") == "production":
        raise ConfigError("store.cipher_key is not set (set SC_STORE__CIPHER_KEY)")
    store["cipher_key"] = hmac.new(config["auth"]["secret"].encode(), b"store.cipher_key",
                                   hashlib.sha256).hexdigest()


def resolve_path(value: str) -> Path:
    """Relative paths in the config are relative to the project root."""
    path = Path(value)
    return path if path.is_absolute() else PROJECT_ROOT / path
