"""The client's IP address: REMOTE_ADDR, or X-Forwarded-For when a trusted proxy sent it."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(spec: tuple[str, ...]) -> tuple[Network, ...]:
    try:
        return tuple(ipaddress.ip_network(item, strict=False) for item in spec)
    except ValueError as exc:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {exc}") from exc


def trusted_networks() -> tuple[Network, ...]:
    raw = settings.TRUSTED_PROXIES
    if isinstance(raw, str):
        raw = [item.strip() for item in raw.split(",")]
    return _networks(tuple(item for item in raw if item))


def _parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "203.0.113.7:5555"
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address, nets: tuple) -> bool:
    return any(address in net for net in nets if address.version == net.version)


def client_ip(request: HttpRequest) -> str:
    """The address the request came from; "" when the server gives none.

    X-Forwarded-For is written by anyone, so it is read only when REMOTE_ADDR is a proxy
    in TRUSTED_PROXIES. Each proxy appends the address it saw, so walking the header from
    the right, the first address that is not one of our proxies is the client; whatever
    lies left of it was sent by the client itself and is not believed.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    nets = trusted_networks()
    remote_addr = _parse(remote)
    if not nets or remote_addr is None or not _trusted(remote_addr, nets):
        return str(remote_addr) if remote_addr is not None else ""
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    nearest = remote_addr
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            # Our own proxies write valid addresses: garbage came from the client side of
            # the last proxy we trust, which is the best we know.
            break
        if not _trusted(address, nets):
            return str(address)
        nearest = address
    return str(nearest)
