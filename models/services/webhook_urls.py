"""Where a webhook may be sent: http(s) only, and (unless private addresses are allowed, as in
development) never to loopback, private, link-local or otherwise non-public addresses, checked
after DNS resolution at registration and again before every delivery."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit


RESOLVE_SECONDS = 3.0


class UnsafeUrl(ValueError):
    """The URL may not receive webhooks; the message says why."""


def public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_form(url: str) -> tuple[str, int]:
    """(host, port) of an absolute http(s) URL without credentials."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise UnsafeUrl(f"not a URL: {error}") from error
    if parts.scheme not in ("http", "https"):
        raise UnsafeUrl("only http and https URLs receive webhooks")
    if not parts.hostname:
        raise UnsafeUrl("the URL has no host")
    if parts.username or parts.password:
        raise UnsafeUrl("credentials do not belong in the URL: verify the signature instead")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


async def check_url(url: str, *, allow_private: bool) -> None:
    """Refuse what may not receive webhooks (UnsafeUrl); resolves the host's addresses."""
    host, port = check_form(url)
    if allow_private:
        return
    try:
        infos = await asyncio.wait_for(
            asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM),
            RESOLVE_SECONDS,
        )
    except (socket.gaierror, TimeoutError) as error:
        raise UnsafeUrl(f"{host} does not resolve") from error
    addresses = {str(info[4][0]) for info in infos}
    if not addresses or not all(public_address(address) for address in addresses):
        raise UnsafeUrl(f"{host} resolves to a private, loopback or link-local address")
