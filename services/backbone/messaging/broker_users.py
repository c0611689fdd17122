"""Each service connects to RabbitMQ as a user of its own, allowed only what it needs.

A service may write to its own events exchange, to the dead-letter exchange, to its own
replay exchange and to RPC; it may read only its own queues; it declares nothing but its
RPC queues. Every message it publishes carries ``user_id``, which the broker checks
against the connection's user, so a consumer knows which user published an event.
The platform's topology, users and permissions are created by an administrator
(``sc broker-init``, ``make run``, the tests' fixtures) before any service starts.
"""

import base64
import dataclasses
import hashlib
import hmac
import os
import re
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from services.backbone.config import ConfigError
from services.backbone.settings import Settings

TAGS = "monitoring"  # reads queue figures through the management API; changes nothing


def vhost_of(settings: Settings) -> str:
    path = urlsplit(settings.broker.url).path
    return unquote(path[1:]) if len(path) > 1 else "/"


def broker_user(settings: Settings, service: str) -> str:
    """The broker user of ``service``: ``<namespace>-<service>`` on the default vhost,
    and named after the vhost elsewhere (users are the broker's, not the vhost's)."""
    vhost = vhost_of(settings)
    prefix = settings.broker.namespace if vhost == "/" else f"{vhost}-{settings.broker.namespace}"
    return f"{prefix}-{service}"


def broker_password(settings: Settings, service: str) -> str:
    """The password ``broker-init`` gives ``service``'s user: the configured one
    (``broker.service_passwords``: production), or else one derived from the platform's
    local secret (``var/secret``, 0600), never written anywhere."""
    given = settings.broker.service_passwords.get(service, "")
    if given:
        return given
    if settings.environment == "production":
        raise ConfigError(f"broker.service_passwords.{service} is not set "
                          f"(SC_BROKER__SERVICE_PASSWORDS__{service.upper()})")
    return hmac.new(settings.auth.secret.encode(), f"broker:{broker_user(settings, service)}".encode(),
                    hashlib.sha256).hexdigest()


def as_service(settings: Settings, service: str) -> Settings:
    """The settings a service process runs with: the broker URLs carry its own user.
    Production gives each process its own credentials (``SC_BROKER__USERNAME`` and
    ``SC_BROKER__PASSWORD``), which must name that service's user."""
    user = broker_user(settings, service)
    if settings.broker.username:
        if settings.broker.username != user:
            raise ConfigError(f"{service} connects to the broker as {user!r}, not "
                              f"{settings.broker.username!r} (SC_BROKER__USERNAME)")
        return settings
    password = broker_password(settings, service)
    broker = dataclasses.replace(settings.broker, url=_with_user(settings.broker.url, user, password),
                                 management_url=_with_user(settings.broker.management_url, user, password))
    return dataclasses.replace(settings, broker=broker)


def _with_user(url: str, user: str, password: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{quote(user, safe='')}:{quote(password, safe='')}@{host}"))


def permissions(settings: Settings, service: str) -> dict:
    """What ``service``'s user may configure, write and read, as RabbitMQ regexes."""
    ns, svc = re.escape(settings.broker.namespace), re.escape(service)
    rpc = rf"nameko-rpc|rpc-{svc}|rpc\.reply-.*"
    return {
        "configure": rf"^({rpc})$",
        "write": rf"^({ns}\.{svc}\.events|{ns}\.{svc}\.replay|{ns}\.dead-letter|{rpc})$",
        "read": rf"^({ns}\.{svc}\.from\..*|{rpc})$",
    }


def password_hash(password: str) -> str:
    """RabbitMQ's ``rabbit_password_hashing_sha256``: base64(salt + sha256(salt + password))."""
    salt = os.urandom(4)
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode("utf-8")).digest()).decode()


def user_definitions(settings: Settings, services, vhost: str) -> dict:
    """The users and permissions of a definitions document for ``services``."""
    return {
        "users": [{"name": broker_user(settings, s), "password_hash": password_hash(broker_password(settings, s)),
                   "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": TAGS}
                  for s in services],
        "permissions": [{"user": broker_user(settings, s), "vhost": vhost, **permissions(settings, s)}
                        for s in services],
    }
