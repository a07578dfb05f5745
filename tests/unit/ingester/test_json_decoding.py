"""JSON feed documents are read by msgspec, and by `json.loads` where msgspec declines: either
way a document is read into the very values `json.loads` gives, or refused as it refuses it."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.common.errors import SourceError
from services.ingester.sources.safety import parse_json

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (1 is not 1.0 here), NaN equal to NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


@pytest.mark.parametrize("path", sorted(FIXTURES.rglob("*.json")), ids=lambda p: p.name)
def test_every_json_capture_reads_as_json_loads_reads_it(path: Path) -> None:
    data = path.read_bytes()
    assert same(parse_json(data), json.loads(data))


@pytest.mark.parametrize(
    "data",
    [
        b'{"mag": NaN, "mmi": Infinity, "sig": -Infinity}',
        b'{"mag": 1e400, "depth": -1e400}',
        b'{"sig": 1' + b"0" * 300 + b"}",
        b'{"sig": 18446744073709551616, "felt": -9223372036854775809}',
        b'{"place": "\\ud800 lone surrogate"}',
        b'{"a": 1, "a": 2}',
        '{"place": "Kōbe"}'.encode("utf-16"),
        '{"place": "Kōbe"}'.encode("utf-32"),
        b'{"mag": -0, "depth": -0.0, "time": 1.0}',
    ],
)
def test_what_msgspec_declines_or_reads_differently_is_read_as_json_loads_reads_it(
    data: bytes,
) -> None:
    assert same(parse_json(data), json.loads(data))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "malformed"),
        (b'{"features": [' + b"[" * 5_000 + b"]" * 5_000 + b"]}", "malformed"),
        (b'{"mag": ' + b"9" * 5_000 + b"}", "malformed"),
        (b'{"mag": 6.1', "malformed"),
        (b'{"place": "\xff"}', "encoding"),
    ],
)
def test_what_json_loads_refuses_is_still_refused_with_its_reason(data: bytes, reason: str) -> None:
    with pytest.raises(SourceError) as caught:
        parse_json(data)
    assert caught.value.reason == reason


_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**63 - 5, max_value=2**70)
    | st.floats()
    | st.text()
)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(_JSON)
def test_any_json_value_reads_as_json_loads_reads_it(value: Any) -> None:
    data = json.dumps(value).encode()
    assert same(parse_json(data), json.loads(data))
