"""The console's settings (``console:`` in ``infra/config/<env>.yaml``), read once.

Shaped as the backbone's typed settings are (one frozen dataclass per section), so that
it can join ``services.backbone.settings.Settings`` as its ``console`` field unchanged.
"""

from dataclasses import dataclass, fields
from typing import Any, Mapping

from services.backbone.config import ConfigError

API_SERVICES = ("registry", "evaluation", "funding", "notifications")


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

    @classmethod
    def from_section(cls, section: Mapping[str, Any] | None) -> "ConsoleSettings":
        """From ``console:`` of the platform config; a missing or mistyped key stops the
        start with its name."""
        section = dict(section or {})
        try:
            lockout = LockoutSettings(**{f.name: f.type(section["lockout"][f.name])
                                         for f in fields(LockoutSettings)})
            values = {f.name: f.type(section[f.name]) for f in fields(cls)
                      if f.name != "lockout"}
        except KeyError as missing:
            raise ConfigError(f"console.{missing.args[0]} is not set") from None
        except (TypeError, ValueError) as error:
            raise ConfigError(f"console: {error}") from None
        if isinstance(section.get("cookie_secure"), str):
            raise ConfigError("console.cookie_secure: true or false")
        return cls(**values, lockout=lockout)


def api_urls(config: Mapping[str, Any]) -> dict[str, str]:
    """Each service's base URL as the console calls it: ``console.api.<service>``, or
    where empty (a local run, the tests) the service's own address in ``services:``."""
    given = (config.get("console") or {}).get("api") or {}
    services = config["services"]
    host = services.get("host", "127.0.0.1")
    host = "127.0.0.1" if host in ("0.0.0.0", "") else host
    return {name: (given.get(name) or f"http://{host}:{services[name]['http_port']}").rstrip("/")
            for name in API_SERVICES}
