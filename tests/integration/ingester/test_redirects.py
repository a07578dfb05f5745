"""Feed fetches follow redirects only to public http(s) addresses, never from https to http;
a host named in the settings may be private (a local feed server)."""

from __future__ import annotations

import httpx
import pytest

from services.ingester.fetch import Fetcher, FetchError
from services.ingester.redirects import redirect_refusal
from tests.integration.ingester.feed_server import Reply, feed_server


def fetcher(*allowed: str) -> Fetcher:
    return Fetcher(timeout_s=5, max_bytes=1024, user_agent="t", redirect_hosts=frozenset(allowed))


async def test_a_redirect_to_a_private_address_is_refused_unless_its_host_is_named() -> None:
    with feed_server() as server:
        server.script = [Reply(status=302, headers={"Location": "/moved.xml"})]
        server.reply = Reply(body=b"<rss/>")
        with pytest.raises(FetchError, match=r"non-public address \(127\.0\.0\.1"):
            await fetcher().fetch(server.url)
        assert len(server.requests) == 1  # the private target was never asked
        server.script = [Reply(status=302, headers={"Location": "/moved.xml"})]
        fetched = await fetcher("127.0.0.1").fetch(server.url)
    assert fetched.body == b"<rss/>" and len(server.requests) == 3


@pytest.mark.parametrize(
    ("previous", "target", "refused"),
    [
        ("https://feeds.example/a", "http://93.184.215.14/b", "from https to http"),
        ("http://feeds.example/a", "file:///etc/passwd", "file URL"),
        ("http://feeds.example/a", "http://169.254.169.254/latest/", "non-public"),
        ("http://feeds.example/a", "http://10.0.0.5:5432/", "non-public"),
        ("http://feeds.example/a", "http://[::1]/", "non-public"),
        ("http://feeds.example/a", "https://93.184.215.14/b", None),
    ],
)
async def test_the_redirect_rule(previous: str, target: str, refused: str | None) -> None:
    found = await redirect_refusal(httpx.URL(previous), httpx.URL(target), frozenset())
    assert (found is None) if refused is None else (found is not None and refused in found)
