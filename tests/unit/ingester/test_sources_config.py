"""Which sources the service polls, and the ReliefWeb query it sends."""

from __future__ import annotations

import httpx
import pytest

from services.common.errors import ConfigError
from services.common.settings import IngesterSettings
from services.ingester.main import RELIEFWEB_FIELDS, reliefweb_url, source_specs


def test_by_default_the_gdacs_rss_feed_and_the_usgs_feeds_are_polled() -> None:
    gdacs, usgs, safety_net = source_specs(IngesterSettings())
    assert (gdacs.name, gdacs.url) == ("gdacs", "https://www.gdacs.org/xml/rss.xml")
    assert (usgs.name, safety_net.name) == ("usgs", "usgs-safety-net")


def test_every_configured_source_gets_its_own_poller_and_interval() -> None:
    settings = IngesterSettings(
        gdacs_api_url="https://www.gdacs.org/gdacsapi/api/events/geteventlist/SEARCH",
        gdacs_api_interval_s=120,
        reliefweb_url="https://api.reliefweb.int/v2/disasters",
        reliefweb_appname="standby-test",
        reliefweb_max_pages=3,
        usgs_url=None,
        usgs_safety_net_url=None,
    )
    specs = {s.name: s for s in source_specs(settings)}
    assert set(specs) == {"gdacs", "gdacs-api", "reliefweb"}
    assert specs["gdacs-api"].interval_s == 120
    assert specs["reliefweb"].max_pages == 3


def test_reliefweb_without_an_appname_stops_start_up_with_the_setting_named() -> None:
    with pytest.raises(ConfigError, match="RELIEFWEB_APPNAME"):
        source_specs(IngesterSettings(reliefweb_url="https://api.reliefweb.int/v2/disasters"))


def test_the_reliefweb_query_asks_for_the_newest_changes_and_only_the_fields_used() -> None:
    url = reliefweb_url(
        IngesterSettings(
            reliefweb_url="https://api.reliefweb.int/v2/disasters?preset=latest",
            reliefweb_appname="standby-test",
            reliefweb_page_size=50,
        )
    )
    assert url is not None
    params = httpx.URL(url).params
    assert params["appname"] == "standby-test"
    assert params["preset"] == "latest"
    assert params["limit"] == "50"
    assert params["sort[]"] == "date.changed:desc"
    assert params.get_list("fields[include][]") == list(RELIEFWEB_FIELDS)


def test_the_reports_endpoint_sits_next_to_the_disasters_endpoint() -> None:
    from services.ingester.situation_reports import reports_url

    assert reports_url("https://api.reliefweb.int/v2/disasters?preset=latest") == (
        "https://api.reliefweb.int/v2/reports"
    )
    assert (
        reports_url("http://127.0.0.1:8000/rw/v1/disasters/")
        == "http://127.0.0.1:8000/rw/v1/reports"
    )


def test_situation_reports_are_looked_up_only_when_reliefweb_is_on() -> None:
    from unittest.mock import sentinel

    from services.ingester.main import situation_reports

    assert situation_reports(IngesterSettings(), sentinel.fetcher, sentinel.publisher) is None
    on = IngesterSettings(
        reliefweb_url="https://api.reliefweb.int/v2/disasters", reliefweb_appname="standby-test"
    )
    lookup = situation_reports(on, sentinel.fetcher, sentinel.publisher)
    assert lookup is not None and lookup.per_disaster == 3
    assert "filter%5Bvalue%5D=52104" in lookup.query("52104")
    off = on.model_copy(update={"reliefweb_reports_per_alert": 0})
    assert situation_reports(off, sentinel.fetcher, sentinel.publisher) is None
