"""Fetching one feed document over HTTP: conditional GET, a whole-request deadline, a size cap."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from services.common.errors import SourceError
from services.ingester.redirects import redirect_refusal
from services.ingester.sources.base import DocumentReason

_MAX_REDIRECTS = 5


class FetchError(SourceError):
    """A fetch failed; `retry_after` carries the server's own wish (HTTP 429/503), in seconds."""

    def __init__(self, reason: DocumentReason, detail: str, *, retry_after: float | None = None):
        super().__init__(reason.value, detail[:500])
        self.retry_after = retry_after


@dataclass(frozen=True)
class Fetched:
    """One response: the body, or None when it has not changed (a 304, or the same bytes)."""

    url: str
    status: int
    body: bytes | None
    seconds: float
    etag: str | None = None
    last_modified: str | None = None


@dataclass
class _Validators:
    etag: str | None = None
    last_modified: str | None = None
    digest: bytes | None = None


@dataclass
class Fetcher:
    """An HTTP client that remembers each URL's validators and never reads past the cap."""

    timeout_s: float
    max_bytes: int
    user_agent: str
    transport: httpx.AsyncBaseTransport | None = None
    # Hosts a redirect may lead to although their addresses are private (tests, the demo).
    redirect_hosts: frozenset[str] = frozenset()
    _validators: dict[str, _Validators] = field(default_factory=dict)
    _client: httpx.AsyncClient | None = None

    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(self.timeout_s),
                # Followed by `_fetch`, each hop judged by `redirect_refusal`.
                follow_redirects=False,
                headers={"User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate"},
                transport=self.transport,
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def remember(self, fetched: Fetched) -> None:
        """Keep a response's validators, once its document is safely processed.

        Remembering them earlier would turn a failure after the fetch (a locked database)
        into a 304 on the next poll, and the document's events would never be published.
        """
        if fetched.body is not None:
            self._validators[fetched.url] = _Validators(
                fetched.etag, fetched.last_modified, hashlib.sha256(fetched.body).digest()
            )

    async def fetch(self, url: str, *, conditional: bool = True) -> Fetched:
        """GET a document; raise FetchError with a closed-set reason when it cannot be had."""
        started = time.perf_counter()
        try:
            # httpx's timeout is per read: a server that trickles a byte a second would never
            # trip it. One deadline for the whole exchange does.
            async with asyncio.timeout(self.timeout_s):
                return await self._fetch(url, conditional, started)
        except TimeoutError as err:
            raise FetchError(
                DocumentReason.TIMEOUT, f"no complete answer in {self.timeout_s} s"
            ) from err
        except httpx.TimeoutException as err:
            raise FetchError(DocumentReason.TIMEOUT, f"{type(err).__name__}: {err}") from err
        except httpx.DecodingError as err:
            raise FetchError(DocumentReason.MALFORMED, f"content encoding: {err}") from err
        except (httpx.TransportError, httpx.TooManyRedirects, httpx.InvalidURL) as err:
            raise FetchError(DocumentReason.CONNECTION, f"{type(err).__name__}: {err}") from err

    async def _follow(
        self, stack: contextlib.AsyncExitStack, url: str, headers: dict[str, str]
    ) -> httpx.Response:
        """GET `url`, following up to five redirects that `redirect_refusal` allows."""
        current = httpx.URL(url)
        for _ in range(_MAX_REDIRECTS + 1):
            response = await stack.enter_async_context(
                self.client().stream("GET", current, headers=headers)
            )
            if not response.has_redirect_location:
                return response
            target = current.join(response.headers["Location"])
            refusal = await redirect_refusal(current, target, self.redirect_hosts)
            if refusal is not None:
                raise FetchError(DocumentReason.CONNECTION, f"{refusal}: {target}")
            await response.aclose()
            current = target
        raise FetchError(DocumentReason.CONNECTION, f"more than {_MAX_REDIRECTS} redirects")

    async def _fetch(self, url: str, conditional: bool, started: float) -> Fetched:
        validators = self._validators.get(url, _Validators())
        headers: dict[str, str] = {}
        if conditional and validators.etag:
            headers["If-None-Match"] = validators.etag
        if conditional and validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
        async with contextlib.AsyncExitStack() as stack:
            response = await self._follow(stack, url, headers)
            if response.status_code == 304:
                return Fetched(url, 304, None, time.perf_counter() - started)
            _raise_for_status(response)
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > self.max_bytes:
                raise FetchError(
                    DocumentReason.TOO_LARGE, f"Content-Length {declared} is over {self.max_bytes}"
                )
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self.max_bytes:
                    raise FetchError(
                        DocumentReason.TOO_LARGE, f"body passed the cap of {self.max_bytes} bytes"
                    )
                chunks.append(chunk)
        body = b"".join(chunks)
        if conditional and validators.digest == hashlib.sha256(body).digest():
            # Many servers ignore validators; the same bytes again are just as unchanged.
            return Fetched(url, 304, None, time.perf_counter() - started)
        return Fetched(
            url,
            response.status_code,
            body,
            time.perf_counter() - started,
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
        )


def _raise_for_status(response: httpx.Response) -> None:
    status = response.status_code
    if status < 400:
        return
    retry_after = _retry_after(response.headers.get("Retry-After"))
    if status == 429:
        raise FetchError(DocumentReason.RATE_LIMITED, "HTTP 429", retry_after=retry_after)
    raise FetchError(DocumentReason.HTTP_ERROR, f"HTTP {status}", retry_after=retry_after)


def _retry_after(value: Any) -> float | None:
    if not value:
        return None
    text = str(value).strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
