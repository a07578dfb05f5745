"""Which redirects a feed fetch follows: to public http(s) addresses, never from https to http.

A feed's address is configuration and trusted; where it redirects to is the feed server's
say. Followed blindly, a compromised or spoofed feed could point the ingester at the
database, the broker or a cloud metadata endpoint inside the platform's network, or strip
TLS from the rest of the exchange. Hosts named in the settings (a test's or the demo's local
feed server) may be private.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

import httpx


async def redirect_refusal(
    previous: httpx.URL, target: httpx.URL, allowed_hosts: frozenset[str]
) -> str | None:
    """Why a redirect from `previous` to `target` must not be followed, or None."""
    if target.scheme not in ("http", "https"):
        return f"redirect to a {target.scheme or 'relative'} URL"
    if previous.scheme == "https" and target.scheme == "http":
        return "redirect from https to http"
    host = target.host
    if host in allowed_hosts:
        return None
    for address in await _addresses(host, target.port or (443 if target.scheme == "https" else 80)):
        if not address.is_global:
            return f"redirect to a non-public address ({host} is {address})"
    return None


async def _addresses(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return []  # unresolvable: the fetch itself fails as a connection error
    return [ipaddress.ip_address(info[4][0]) for info in found]
