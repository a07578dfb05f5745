"""Refuse state-changing requests sent by another site (Origin / Sec-Fetch-Site), beside CSRF tokens."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from starlette.datastructures import URL

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_SAME_SITE_FETCHES = frozenset({"same-origin", "none"})


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def cross_site_refusal(
    method: str, headers: Mapping[str, str], base_url: URL | str, public_url: str
) -> str | None:
    """Name why a request must be refused as cross-site, or return None to let it through.

    Browsers send both headers on every POST; scripts send neither and still need the CSRF
    token. The console's own origin is the public URL, or the address the browser used.
    """
    if method.upper() in _SAFE_METHODS:
        return None
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site.lower() not in _SAME_SITE_FETCHES:
        return "sec_fetch_site"
    origin = headers.get("origin")
    if origin is None:
        return None
    if origin == "null":
        # Chromium sends `Origin: null` on its own same-origin form posts under our
        # `Referrer-Policy: no-referrer`; only Sec-Fetch-Site can vouch for such a post.
        return None if fetch_site is not None else "origin"
    if origin.lower() not in {_origin(public_url), _origin(str(base_url))}:
        return "origin"
    return None
