"""A poller's memo: unchanged RSS items are not parsed again, yet come out as fresh messages."""

from __future__ import annotations

from unittest.mock import patch

from services.ingester.sources import ItemMemo, gdacs_rss, read_document
from tests.unit.ingester.corpus import rss, rss_item

VOLATILE = {"id", "occurred_at", "produced_at"}


def test_an_unchanged_item_is_not_handed_to_feedparser_again() -> None:
    memo = ItemMemo()
    first = read_document(rss(rss_item(1), rss_item(2)), memo=memo)
    with patch.object(gdacs_rss, "_entries", wraps=gdacs_rss._entries) as entries:
        second = read_document(rss(rss_item(3), rss_item(1), rss_item(2)), memo=memo)
    (fresh_items,) = entries.call_args.args
    assert len(fresh_items) == 1
    assert [e.source_id for e in second.events] == ["EQ:3", "EQ:1", "EQ:2"]
    assert [e.model_dump(exclude=VOLATILE) for e in second.events[1:]] == [
        e.model_dump(exclude=VOLATILE) for e in first.events
    ]


def test_a_remembered_item_comes_out_as_a_new_message() -> None:
    memo = ItemMemo()
    (first,) = read_document(rss(rss_item(1)), memo=memo).events
    (again,) = read_document(rss(rss_item(1)), memo=memo).events
    assert again.id != first.id
    assert again.produced_at >= first.produced_at


def test_an_item_that_changed_by_one_value_is_read_again() -> None:
    memo = ItemMemo()
    read_document(rss(rss_item(1, alert="Orange")), memo=memo)
    (upgraded,) = read_document(rss(rss_item(1, alert="Red")), memo=memo).events
    assert upgraded.alert_level == "red"


def test_a_refused_item_is_refused_on_every_poll_and_the_memo_forgets_old_items() -> None:
    memo = ItemMemo()
    bad = rss_item(2, fromdate="never", pubdate="never")
    assert len(read_document(rss(rss_item(1), bad), memo=memo).rejections) == 1
    assert len(read_document(rss(rss_item(1), bad), memo=memo).rejections) == 1
    read_document(rss(rss_item(5)), memo=memo)
    assert len(memo.previous) == 1


def test_the_memo_gives_the_same_events_as_reading_without_it() -> None:
    document = rss(*(rss_item(i, alert=("Green", "Orange", "Red")[i % 3]) for i in range(30)))
    memo = ItemMemo()
    read_document(document, memo=memo)
    remembered = read_document(document, memo=memo).events
    plain = read_document(document).events
    assert [e.model_dump(exclude=VOLATILE) for e in remembered] == [
        e.model_dump(exclude=VOLATILE) for e in plain
    ]
