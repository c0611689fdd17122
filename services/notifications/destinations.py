"""Where webhooks may go: not into the platform's own network.

Bases, counties and departments register webhook URLs, and the platform POSTs to them
from inside its network, then keeps the first 300 characters of an error answer in the
delivery log, which the subscriber reads. Without a rule, a subscriber could point a
webhook at the broker's management API, a database's HTTP port or a cloud metadata
address, and read what answers (server-side request forgery). So a webhook may not go
to a loopback, private, link-local, shared, reserved or multicast address, nor to an
IPv6 address that leads to one (IPv4-mapped, -translated or -compatible, NAT64, 6to4,
Teredo: the IPv4 address it carries is where it goes), unless the configuration names
the host (``notifications.webhook.private_hosts``: ``host`` or ``host:port``, for a
receiver on the platform's own network in development and tests): checked on the URL when a subscription is made or changed (a literal
address is refused with the field named), and on every address the host resolves to
before each attempt (a name that later resolves inside is refused then, as a failed
attempt). The attempt then connects to the address that was checked, not to the name
again: a name that answered a public address to the check and a private one a moment
later (DNS rebinding) would otherwise get its request in. ``require_https`` refuses
plain HTTP, for production.
"""

import ipaddress
import socket
from typing import Iterable, Iterator
from urllib.parse import urlsplit

from services.backbone.kernel.errors import field_error

NAT64 = ipaddress.ip_network("64:ff9b::/96")
LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")  # local use (RFC 8215): never public
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
IPV4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")


class DestinationRefused(Exception):
    """A webhook destination the platform will not call; the message says why."""


class Destinations:
    def __init__(self, *, private_hosts: Iterable[str] = (), require_https: bool = False,
                 resolve=socket.getaddrinfo):
        self.private_hosts = frozenset(_host_and_port(entry) for entry in private_hosts)
        self.require_https = require_https
        self._resolve = resolve

    @classmethod
    def from_config(cls, settings) -> "Destinations":
        webhook = settings.webhook
        return cls(private_hosts=webhook.private_hosts, require_https=webhook.require_https)

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
        is safe (a literal address, or a host the configuration names)."""
        host, port = self._check_literal(url)
        if self._named(host, port) or _literal(host) is not None:
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

    def _named(self, host: str, port: int) -> bool:
        host = host.lower().strip("[]")
        return (host, None) in self.private_hosts or (host, port) in self.private_hosts

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
        if address is not None and not self._named(parts.hostname, port):
            self._refuse_internal(address, parts.hostname)
        return parts.hostname, port

    @staticmethod
    def _refuse_internal(address, host: str) -> None:
        refuse_internal(address, host)


def refuse_internal(address, host: str) -> None:
    """DestinationRefused unless ``address``, and every IPv4 address it embeds, is public."""
    if address in LOCAL_NAT64:
        raise DestinationRefused(f"{host} is {address}, in the local-use NAT64 prefix "
                                 f"{LOCAL_NAT64}, which leads into a private network; webhooks "
                                 "go only to public addresses.")
    for reached in (address, *embedded_ipv4(address)):
        if not reached.is_global or reached.is_multicast:
            carried = "" if reached == address else f", which carries {reached},"
            raise DestinationRefused(
                f"{host} is {address}{carried} an address inside a private network; webhooks "
                "go only to public addresses.")


def embedded_ipv4(address) -> Iterator[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address leads to: IPv4-mapped, -translated and
    -compatible, NAT64's well-known prefix, 6to4, and Teredo's server and client."""
    if not isinstance(address, ipaddress.IPv6Address):
        return
    low32 = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.ipv4_mapped is not None:
        yield address.ipv4_mapped
    if address in IPV4_TRANSLATED or address in NAT64 or address in IPV4_COMPATIBLE:
        yield low32
    if address.sixtofour is not None:
        yield address.sixtofour
    if address.teredo is not None:
        yield from address.teredo


def _host_and_port(entry: str) -> tuple[str, int | None]:
    """``host``, ``host:port``, ``[v6]`` or ``[v6]:port`` of ``private_hosts``."""
    entry = entry.strip().lower()
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else None
    if entry.count(":") == 1:
        host, _, port = entry.partition(":")
        return host, int(port)
    return entry, None


def _literal(host: str):
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
