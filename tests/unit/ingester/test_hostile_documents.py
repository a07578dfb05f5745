"""Every parser meets the hostile corpus: each document gets its counted reason, none crashes."""

from __future__ import annotations

import pytest

from services.common.errors import SourceError
from services.ingester.sources import parse_document, read_document
from tests.unit.ingester.corpus import CAP, Hostile, hostile_corpus

CORPUS = hostile_corpus()


def test_the_corpus_holds_at_least_200_documents() -> None:
    assert len(CORPUS) >= 200
    assert len({doc.name for doc in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("doc", CORPUS, ids=[d.name for d in CORPUS])
def test_hostile_document_is_refused_or_read_for_its_stated_reason(doc: Hostile) -> None:
    if doc.refused is not None:
        with pytest.raises(SourceError) as caught:
            read_document(doc.body, name=doc.name, max_bytes=CAP)
        assert caught.value.reason == doc.refused, caught.value.detail
        assert "\n" not in str(caught.value)
        return
    result = read_document(doc.body, name=doc.name, max_bytes=CAP)
    if doc.item is not None:
        assert [r.reason.value for r in result.rejections] == [doc.item], result.rejections
    else:
        assert result.rejections == []
        assert len(result.events) == 1
    if doc.dropped is not None:
        assert doc.dropped in result.dropped_fields
        (event,) = result.events
        assert doc.dropped in event.extras["dropped_fields"]


def test_parse_document_raises_only_source_errors_for_refused_documents() -> None:
    for doc in CORPUS:
        if doc.refused is None:
            assert isinstance(parse_document(doc.body, name=doc.name, max_bytes=CAP), list)
            continue
        with pytest.raises(SourceError):
            parse_document(doc.body, name=doc.name, max_bytes=CAP)


def test_a_red_alert_with_an_absurd_population_is_still_an_event() -> None:
    doc = next(d for d in CORPUS if d.name == "absurd-population-1")
    (event,) = parse_document(doc.body)
    assert event.alert_level == "red"
    assert event.population_exposed is None
    assert event.extras["dropped_fields"]["population"] == "-2114000"
