"""Where webhooks may go: not into the platform's own network.

Bases, counties and departments register webhook URLs, and the platform POSTs to them
from inside its network, then keeps the first 300 characters of an error answer in the
delivery log, which the subscriber reads. Without a rule, a subscriber could point a
webhook at the broker's management API, a database's HTTP port or a cloud metadata
address, and read what answers (server-side request forgery). So, unless the
configuration allows private destinations (local development, where the receiver is on
127.0.0.1), a webhook may not go to a loopback, private, link-local, shared, reserved or
multicast address: checked on the URL when a subscription is made or changed (a literal
address is refused with the field named), and on every address the host resolves to
before each attempt (a name that later resolves inside is refused then, as a failed
attempt). The attempt then connects to the address that was checked, not to the name
again: a name that answered a public address to the check and a private one a moment
later (DNS rebinding) would otherwise get its request in. ``require_https`` refuses
plain HTTP, for production.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from services.backbone.kernel.errors import field_error


class DestinationRefused(Exception):
    """A webhook destination the platform will not call; the message says why."""


class Destinations:
    def __init__(self, *, allow_private: bool = False, require_https: bool = False,
                 resolve=socket.getaddrinfo):
        self.allow_private = allow_private
        self.require_https = require_https
        self._resolve = resolve

    @classmethod
    def from_config(cls, settings) -> "Destinations":
        webhook = settings.webhook
        return cls(allow_private=webhook.allow_private_destinations,
                   require_https=webhook.require_https)

    def check_url(self, url: str, field: str = "channel.url") -> None:
        """At subscription time: the scheme, and a literal address; raises a 422 that
        names the field."""
        try:
            self._check_literal(url)
        except DestinationRefused as refused:
            raise field_error(field, str(refused)) from None

    def check_before_sending(self, url: str) -> str | None:
        """Before an attempt: the URL again (the rules may have changed since the
        subscription was made) and every address its host resolves to. Returns the
        address the attempt must connect to, or None where connecting by the URL's host
        is safe (a literal address, or private destinations allowed)."""
        host, port = self._check_literal(url)
        if self.allow_private or _literal(host) is not None:
            return None
        try:
            infos = self._resolve(host, port, type=socket.SOCK_STREAM)
        except OSError as error:
            raise DestinationRefused(f"{host} cannot be resolved: {error}") from None
        addresses = [info[4][0].split("%")[0] for info in infos]
        if not addresses:
            raise DestinationRefused(f"{host} resolves to no address.")
        for address in addresses:
            self._refuse_internal(ipaddress.ip_address(address), host)
        return addresses[0]

    def _check_literal(self, url: str) -> tuple[str, int]:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise DestinationRefused("A webhook URL is http or https.")
        if self.require_https and parts.scheme != "https":
            raise DestinationRefused("Webhooks must use https here.")
        if not parts.hostname:
            raise DestinationRefused("A webhook URL names a host.")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise DestinationRefused("The port is not a number from 0 to 65535.") from None
        address = _literal(parts.hostname)
        if not self.allow_private and address is not None:
            self._refuse_internal(address, parts.hostname)
        return parts.hostname, port

    @staticmethod
    def _refuse_internal(address, host: str) -> None:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if not address.is_global or address.is_multicast:
            raise DestinationRefused(
                f"{host} is {address}, an address inside a private network; webhooks go "
                "only to public addresses.")


def _literal(host: str):
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
