"""Platform configuration: one YAML file per environment, any value overridable by env.

``SC_ENV`` picks ``infra/config/<env>.yaml`` (default ``local``); ``SC_CONFIG_DIR`` points
elsewhere. ``SC_<SECTION>__<KEY>[__<KEY>...]=value`` overrides one value, taken as the type
of the value it replaces in the YAML (``SC_CONSUMER__MAX_ATTEMPTS=7`` is an integer), and as
the raw string where that is a string or there is none. Not as YAML: a password ``no``,
``null``, ``0777``, ``s3cret #1`` or ``*abc`` is that password, not False, None, 511, a
comment or an alias. A value the type does not take stops the start with the variable named.
"""

import copy
import hashlib
import hmac
import os
import re
import secrets
import stat
import tempfile
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import quote, urlsplit, urlunsplit

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ENV_PREFIX = "SC_"
RESERVED = {"SC_ENV", "SC_CONFIG_DIR", "SC_FAILPOINTS"}
LOCAL_SECRET = PROJECT_ROOT / "var" / "secret"
MIN_SECRET_LENGTH = 32


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

    for name, raw in sorted(environ.items()):
        if name.startswith(ENV_PREFIX) and name not in RESERVED and "__" in name:
            keys = [k.lower() for k in name[len(ENV_PREFIX):].split("__")]
            _override(config, keys, name, raw)
    if overrides:
        config = merge(config, overrides)

    _broker_credentials(config)
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


def _override(config: dict, keys: list[str], variable: str, raw: str) -> None:
    """Sets the value at ``keys`` from an environment variable, as the type of the value
    it replaces."""
    node = config
    for depth, key in enumerate(keys[:-1]):
        node = node.setdefault(key, {})
        if not isinstance(node, dict):
            raise ConfigError(f"{variable}: {'.'.join(keys[:depth + 1])} is a value, not a section")
    node[keys[-1]] = coerce(raw, node.get(keys[-1]), variable)


_INTEGER = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
_BOOLEANS = {"true": True, "yes": True, "on": True, "1": True,
             "false": False, "no": False, "off": False, "0": False}


def coerce(raw: str, default: Any, variable: str) -> Any:
    """``raw`` as the type of ``default``: a boolean (true/false, yes/no, on/off, 1/0),
    a number (an integer stays one; a decimal is taken where the YAML wrote a whole
    number, as durations are), a list (comma-separated, each item as the list's items
    are), or else the string itself, untouched."""
    if isinstance(default, bool):
        value = _BOOLEANS.get(raw.strip().lower())
        if value is None:
            raise ConfigError(f"{variable}: {raw!r} is not a boolean (true or false)")
        return value
    if isinstance(default, (int, float)):
        text = raw.strip()
        if _INTEGER.fullmatch(text) and not isinstance(default, float):
            return int(text)
        if _NUMBER.fullmatch(text):
            return float(text)
        raise ConfigError(f"{variable}: {raw!r} is not a number")
    if isinstance(default, list):
        items = [item.strip() for item in raw.split(",") if item.strip()]
        kinds = {type(item) for item in default}
        if len(kinds) == 1 and kinds != {str}:
            return [coerce(item, default[0], variable) for item in items]
        return items
    if isinstance(default, dict):
        raise ConfigError(f"{variable} names a section; set its keys ({variable}__<KEY>)")
    return raw


def _broker_credentials(config: dict) -> None:
    """``broker.username`` and ``broker.password``, when set, go into ``broker.url`` and
    ``broker.management_url`` percent-encoded, replacing any there: a password with
    ``@ / # ?`` in it cannot be written into a URL as it is (docker-compose.yml passes
    the broker's credentials so)."""
    broker = config.get("broker") or {}
    username, password = str(broker.get("username") or ""), str(broker.get("password") or "")
    if not (username or password):
        return
    if not (username and password):
        raise ConfigError("broker.username and broker.password go together (set both "
                          "SC_BROKER__USERNAME and SC_BROKER__PASSWORD, or neither)")
    userinfo = f"{quote(username, safe='')}:{quote(password, safe='')}"
    for key in ("url", "management_url"):
        if broker.get(key):
            parts = urlsplit(broker[key])
            host = parts.netloc.rpartition("@")[2]
            broker[key] = urlunsplit(parts._replace(netloc=f"{userinfo}@{host}"))


def _resolve_secret(config: dict) -> str:
    """The token-signing secret comes from config; production takes only a strong one.
    A local run with none configured makes a random one, kept in var/secret so that
    issued tokens stay valid."""
    secret = str(config.get("auth", {}).get("secret") or "")
    if secret:
        if config.get("environment") == "production":
            check_strong("auth.secret", "SC_AUTH__SECRET", secret)
        return secret
    if config.get("environment") != "local":
        raise ConfigError("auth.secret is not set (set SC_AUTH__SECRET)")
    return local_secret(LOCAL_SECRET)


def check_strong(setting: str, variable: str, secret: str) -> None:
    """At least 32 random bytes' worth of characters, not a short string repeated:
    'a', or 'abcabc…', signs tokens anyone can guess."""
    problem = None
    if len(secret) < MIN_SECRET_LENGTH:
        problem = f"it is {len(secret)} characters long"
    elif len(set(secret)) < 10 or any(secret[period:] == secret[:-period]
                                      for period in range(1, len(secret) // 2 + 1)):
        problem = "it repeats a few characters"
    if problem:
        raise ConfigError(
            f"{setting} ({variable}) must be at least {MIN_SECRET_LENGTH} random bytes, and {problem}: "
            "make one with python -c 'import secrets; print(secrets.token_urlsafe(32))'")


def local_secret(path: Path) -> str:
    """The secret a local run keeps in ``path``: made once, readable by its owner only
    from the moment it exists (written to a 0600 temporary file, then linked into
    place, so two services starting together use one secret); one others may read is
    refused, since anyone who reads it can sign any token."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret-")
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                file.write(secrets.token_urlsafe(48))
                file.flush()
                os.fsync(file.fileno())
            os.link(temporary, path)
        except FileExistsError:
            pass  # another service made it first: that one is the secret
        finally:
            os.unlink(temporary)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigError(f"{path} may be read by others (mode {mode:03o}): anyone who reads it "
                          f"can sign tokens; run: chmod 600 {path}")
    return path.read_text(encoding="utf-8").strip()


def _resolve_cipher_key(config: dict) -> None:
    """The key that encrypts the stores of ``store.encrypted_services`` at rest. In
    production it is configured on its own (so that rotating the token secret does not
    lock the logs); elsewhere, when empty, it is derived from the auth secret."""
    store = config.setdefault("store", {})
    production = config.get("environment") == "production"
    if store.get("cipher_key"):
        if production:
            check_strong("store.cipher_key", "SC_STORE__CIPHER_KEY", str(store["cipher_key"]))
        return
    if not store.get("encrypted_services"):
        return
    if production:
        raise ConfigError("store.cipher_key is not set (set SC_STORE__CIPHER_KEY)")
    store["cipher_key"] = hmac.new(config["auth"]["secret"].encode(), b"store.cipher_key",
                                   hashlib.sha256).hexdigest()


def resolve_path(value: str) -> Path:
    """Relative paths in the config are relative to the project root."""
    path = Path(value)
    return path if path.is_absolute() else PROJECT_ROOT / path
