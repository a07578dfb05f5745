"""One order of an event's versions: the sort the backtest replays in and the comparison that
tells news from a replay agree, dates with any offset included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from schemas.hazards import compare_versions, version_key

offsets = st.integers(min_value=-12 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
)
dates = st.builds(lambda when, zone: when.astimezone(zone).isoformat(), instants, offsets)
numbers = st.integers(min_value=0, max_value=10**15).map(str)
same_form = st.one_of(st.tuples(dates, dates), st.tuples(numbers, numbers))


def sign(x: float) -> int:
    return (x > 0) - (x < 0)


@given(same_form)
def test_the_comparison_follows_the_sort(pair: tuple[str, str]) -> None:
    new, old = pair
    a, b = version_key(new), version_key(old)
    assert compare_versions(new, old) == sign(a[1] - b[1])
    assert compare_versions(new, old) == -compare_versions(old, new)


@given(st.lists(st.one_of(dates, numbers), min_size=2, max_size=8))
def test_sorted_versions_never_go_back_in_time(versions: list[str]) -> None:
    ordered = sorted(versions, key=version_key)
    for earlier, later in pairwise(ordered):
        assert compare_versions(later, earlier) >= 0


def test_one_instant_written_with_two_offsets_is_one_version() -> None:
    tokyo = "2026-11-23T19:00:00+09:00"
    utc = "2026-11-23T10:00:00+00:00"
    assert compare_versions(tokyo, utc) == 0
    assert version_key(tokyo)[1] == version_key(utc)[1]
    # As strings, 01:00 UTC sorts before 09:30 in Tokyo (00:30 UTC); as instants it does not.
    earlier, later = "2026-11-23T09:30:00+09:00", "2026-11-23T01:00:00+00:00"
    assert sorted([later, earlier], key=version_key) == [earlier, later]


def test_a_date_without_an_offset_is_utc() -> None:
    assert compare_versions("2026-11-23T10:00:01", "2026-11-23T10:00:00+00:00") == 1
    assert compare_versions("2026-11-23T10:00:00", "2026-11-23T19:00:00+09:00") == 0


def test_unrelated_forms_count_as_later_either_way() -> None:
    assert compare_versions("status:current", "7") == 1
    assert compare_versions("7", "2026-11-23T10:00:00+00:00") == 1
    assert compare_versions("2026-11-23T10:00:00+00:00", "7") == 1
