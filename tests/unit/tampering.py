"""For property tests of signed links: example budgets and a token altered in one place."""

from __future__ import annotations

import string
from dataclasses import dataclass

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

ALPHABET = string.ascii_letters + string.digits + "-_."
"""The characters a URL-safe token is written in."""


def examples(n: int) -> settings:
    """Try `n` examples with no deadline (some properties touch a database)."""
    return settings(
        max_examples=n,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


@dataclass(frozen=True)
class Alteration:
    """One change at one place in a token: a character replaced, inserted or deleted, or a cut."""

    position: int
    replacement: str
    mode: str

    def apply(self, token: str) -> str:
        i = self.position % len(token)
        if self.mode == "replace":
            return token[:i] + self.replacement + token[i + 1 :]
        if self.mode == "insert":
            return token[:i] + self.replacement + token[i:]
        if self.mode == "delete":
            return token[:i] + token[i + 1 :]
        return token[:i]


def alterations(*modes: str) -> st.SearchStrategy[Alteration]:
    """Alterations anywhere in a token, of the given modes."""
    return st.builds(
        Alteration,
        position=st.integers(min_value=0),
        replacement=st.sampled_from(ALPHABET),
        mode=st.sampled_from(modes),
    )
