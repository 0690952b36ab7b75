"""Keep the fetcher off private networks: resolve a host once, check every address, connect to a checked one.

A URL someone hands to ``newsdesk ingest`` (or a link inside a remote feed) must not make us fetch from
this machine (127.0.0.1, [::1]), the local network (10.x, 192.168.x) or a cloud metadata service
(169.254.169.254): that is server-side request forgery. Checking the URL's host name is not enough, because
a name can resolve to a private address, and a redirect can point anywhere. Checking a name and then letting
the HTTP library resolve it again is not enough either: a DNS server under an attacker's control can answer
the check with a public address and the connection with a private one ("DNS rebinding").

So the check lives where the connection is made: an httpcore network backend whose ``connect_tcp`` resolves the
host itself, refuses the connection if any address is not public, and connects to the checked address only.
Every connection goes through it, including each redirect hop, and TLS still verifies the certificate against
the host name (httpcore passes the name, not the address, to the TLS layer).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable, Sequence

import httpcore
import httpx

# host, port -> the addresses it resolves to, as strings ("93.184.216.34", "2606:2800::1").
Resolver = Callable[[str, int], Sequence[str]]
# An address, parsed -> whether we may connect to it.
AddressPolicy = Callable[[ipaddress.IPv4Address | ipaddress.IPv6Address], bool]

_MAX_ADDRESSES_TRIED = 3  # each gets the full connect timeout, so a host with 20 dead addresses cannot stall us
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # NAT64 gateways turn these into the IPv4 address in the last 32 bits


class BlockedAddress(Exception):
    """A connection was refused before it was made; ``str(error)`` is one line for the user."""


def is_public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether ``address`` is on the public internet: not private, loopback, link-local, multicast or reserved.

    IPv6 forms that carry an IPv4 address (``::ffff:127.0.0.1``, 6to4 ``2002::/16``, NAT64 ``64:ff9b::/96``)
    are judged by the IPv4 address as well, since that is where the packets end up.
    """
    if isinstance(address, ipaddress.IPv6Address):
        # ipaddress counts ::ffff:0:0/96 as private and 64:ff9b::/96 as reserved (inside ::/8) whatever they
        # carry; on an IPv6-only network with DNS64, every IPv4-only news site has a 64:ff9b:: address.
        if address.ipv4_mapped is not None:
            return _is_public_one(address.ipv4_mapped)
        if address in _NAT64:
            return _is_public_one(ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF))
        if address.sixtofour is not None and not _is_public_one(address.sixtofour):
            return False
    return _is_public_one(address)


def _is_public_one(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    # is_global alone lets multicast through (224.0.0.0/4 and ff00::/8 are not in the private tables).
    # SEE: https://docs.python.org/3/library/ipaddress.html#ipaddress.IPv4Address.is_global
    if isinstance(address, ipaddress.IPv6Address) and address.is_site_local:
        return False
    return address.is_global and not (
        address.is_multicast or address.is_reserved or address.is_loopback or address.is_link_local
        or address.is_unspecified
    )


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to, through the operating system, without duplicates, in its order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def checked_addresses(host: str, port: int, resolver: Resolver, allowed: AddressPolicy) -> list[str]:
    """Resolve ``host`` once and return its addresses, or raise ``BlockedAddress`` if any one is not allowed.

    All must pass, not just the first: the system may try the others, and a name that mixes a public address
    with a private one is an attack or a misconfiguration either way.
    """
    try:
        literal = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        literal = None
    try:
        found = [str(literal)] if literal is not None else list(resolver(host, port))
    except (OSError, UnicodeError, ValueError) as exc:
        raise BlockedAddress(f"cannot resolve host name {host!r}") from exc
    if not found:
        raise BlockedAddress(f"cannot resolve host name {host!r}")
    for text in found:
        try:
            address = ipaddress.ip_address(text.split("%")[0])  # drop an IPv6 zone id such as "%eth0"
        except ValueError as exc:
            raise BlockedAddress(f"{host!r} resolved to something that is not an address") from exc
        if not allowed(address):
            shown = host if literal is not None else f"{host} ({address})"
            raise BlockedAddress(
                f"refusing to fetch from the private or reserved address {shown}; "
                "set NEWSDESK_FETCH_ALLOW_PRIVATE=true to allow it"
            )
    return found


class _CheckedBackend(httpcore.SyncBackend):
    """Connects only to addresses the policy allows, and only to the addresses it checked."""

    def __init__(self, resolver: Resolver, allowed: AddressPolicy) -> None:
        self._resolver = resolver
        self._allowed = allowed

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = checked_addresses(host, port, self._resolver, self._allowed)
        error: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in addresses[:_MAX_ADDRESSES_TRIED]:
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None  # checked_addresses never returns an empty list
        raise error


class CheckedTransport(httpx.HTTPTransport):
    """``httpx.HTTPTransport`` whose every TCP connection goes through the address check.

    Proxies are not supported: through a proxy, the proxy resolves the host and our check would see only
    the proxy's address. (httpx reads proxy environment variables only when it builds its own transport.)
    """

    def __init__(self, *, resolver: Resolver = system_resolver, allowed: AddressPolicy = is_public_address) -> None:
        super().__init__()
        # httpx has no public way to hand httpcore a network backend, so the pool it built is replaced by the
        # same pool (httpx's defaults: 100 connections, 20 kept alive for 5 s) with ours. httpx is pinned in
        # constraints.txt, and tests/test_fetch.py fails if this ever stops taking effect (a fake resolver
        # that maps a made-up name to 127.0.0.1 would then fail to resolve).
        # SEE: httpx/_transports/default.py ``HTTPTransport.__init__``
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=_CheckedBackend(resolver, allowed),
        )


def allow_any_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """The policy of ``NEWSDESK_FETCH_ALLOW_PRIVATE=true``: every address may be fetched from."""
    return True
