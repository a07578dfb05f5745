"""Cross-site POSTs and the login slow-down, as pure rules."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.duty.console.guard import cross_site_refusal
from services.duty.console.throttle import POLICIES, DeviceCookies, KeyKind, Policy, throttle_keys

PUBLIC = "https://duty.example.org"


@pytest.mark.parametrize(
    ("method", "headers", "refusal"),
    [
        ("GET", {"origin": "https://evil.example", "sec-fetch-site": "cross-site"}, None),
        ("POST", {}, None),  # a script: the CSRF token is its guard
        ("POST", {"origin": PUBLIC, "sec-fetch-site": "same-origin"}, None),
        ("POST", {"origin": "HTTPS://DUTY.EXAMPLE.ORG"}, None),
        ("POST", {"origin": "http://10.0.0.5:8080"}, None),  # the address the browser used
        ("POST", {"origin": "null", "sec-fetch-site": "same-origin"}, None),
        ("POST", {"sec-fetch-site": "none"}, None),
        ("POST", {"origin": "null"}, "origin"),
        ("POST", {"origin": "https://duty.example.org.evil.example"}, "origin"),
        ("POST", {"origin": "https://evil.example", "sec-fetch-site": "same-origin"}, "origin"),
        ("POST", {"sec-fetch-site": "same-site"}, "sec_fetch_site"),
        ("DELETE", {"sec-fetch-site": "cross-site"}, "sec_fetch_site"),
    ],
)
def test_a_post_is_refused_only_when_a_browser_says_it_came_from_elsewhere(
    method: str, headers: dict[str, str], refusal: str | None
) -> None:
    assert cross_site_refusal(method, headers, "http://10.0.0.5:8080/", PUBLIC) == refusal


def test_the_wait_doubles_after_the_free_failures_and_stops_at_its_cap() -> None:
    policy = Policy(free_failures=5, max_delay_s=60)
    waits = [policy.delay(n).total_seconds() for n in range(0, 14)]
    assert waits == [0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert policy.delay(10**6) == timedelta(seconds=60)
    # Slowed, never locked out: no key waits longer than a minute.
    assert max(p.max_delay_s for p in POLICIES.values()) == 60


def test_a_known_browser_is_judged_on_its_own_and_a_stranger_on_officer_source_and_both() -> None:
    assert throttle_keys(" Aoki ", "192.0.2.1", "n0nce") == [f"{KeyKind.DEVICE}:n0nce"]
    assert throttle_keys("Aoki", "192.0.2.1", None) == [
        "pair:aoki@192.0.2.1",
        "source:192.0.2.1",
        "officer:aoki",
    ]


def test_a_device_cookie_counts_only_for_the_officer_it_names_and_only_when_signed() -> None:
    devices = DeviceCookies("k" * 40)
    cookie = devices.issue("aoki")
    device = devices.device_of(cookie, "AOKI ")
    assert device is not None and devices.device_of(devices.issue("aoki"), "aoki") != device
    assert devices.device_of(cookie, "sato") is None
    assert DeviceCookies("other" * 8).device_of(cookie, "aoki") is None
    assert devices.device_of(cookie[:-2], "aoki") is None
    assert devices.device_of(None, "aoki") is None
    assert devices.device_of("x" * 600, "aoki") is None
