"""Synthetic GDACS/ReliefWeb documents: good ones, and a hostile corpus of broken or malicious ones.

Each hostile document says what the ingester must make of it: the document refused for a
reason (`refused`), some items refused (`item`), or an implausible field blanked while the
event still goes out (`dropped`).
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from xml.sax.saxutils import escape

CAP = 64 * 1024  # the size cap the tests configure


@dataclass(frozen=True)
class Hostile:
    name: str
    body: bytes
    refused: str | None = None  # DocumentReason value
    item: str | None = None  # ItemReason value of the one refused item
    dropped: str | None = None  # field blanked on an otherwise published event
    content_type: str = "application/xml"


def rss_item(
    event_id: int | str,
    *,
    episode_id: int = 1,
    event_type: str = "EQ",
    alert: str = "Red",
    population: str = "2114000",
    fromdate: str | None = None,
    pubdate: str | None = None,
    lat: str = "9.7452",
    lon: str = "126.1581",
    iso3: str = "PHL",
    with_ids: bool = True,
) -> str:
    """Render one item in GDACS's real element set."""
    when = datetime(2026, 11, 23, 10, 0, tzinfo=UTC) + timedelta(minutes=hash(event_id) % 600)
    rfc = when.strftime("%a, %d %b %Y %H:%M:%S GMT")
    fromdate = rfc if fromdate is None else fromdate
    pubdate = rfc if pubdate is None else pubdate
    ids = (
        f"<gdacs:eventtype>{event_type}</gdacs:eventtype>"
        f"<gdacs:eventid>{escape(str(event_id))}</gdacs:eventid>"
        f"<gdacs:episodeid>{episode_id}</gdacs:episodeid>"
        f"<link>https://www.gdacs.org/report.aspx?eventtype={event_type}&amp;eventid={event_id}</link>"
        f'<guid isPermaLink="false">{event_type}{event_id}</guid>'
        if with_ids
        else ""
    )
    return f"""
    <item>
      <title>{alert} earthquake alert (Magnitude 7.4M, Depth:10km) in Philippines</title>
      <description>An earthquake occurred in Philippines.</description>
      {ids}
      <pubDate>{escape(pubdate)}</pubDate>
      <gdacs:iscurrent>true</gdacs:iscurrent>
      <gdacs:fromdate>{escape(fromdate)}</gdacs:fromdate>
      <gdacs:todate>{rfc}</gdacs:todate>
      <geo:Point><geo:lat>{escape(lat)}</geo:lat><geo:long>{escape(lon)}</geo:long></geo:Point>
      <gdacs:bbox>122 130 5 13</gdacs:bbox>
      <georss:point>{escape(lat)} {escape(lon)}</georss:point>
      <gdacs:cap>https://www.gdacs.org/contentdata/resources/EQ/{event_id}/cap_{event_id}.xml</gdacs:cap>
      <gdacs:alertlevel>{escape(alert)}</gdacs:alertlevel>
      <gdacs:alertscore>2.6</gdacs:alertscore>
      <gdacs:episodealertlevel>{escape(alert)}</gdacs:episodealertlevel>
      <gdacs:severity unit="M" value="7.4">Magnitude 7.4M, Depth:10km</gdacs:severity>
      <gdacs:population unit="(in MMI&gt;=VII)" value="{escape(population)}">2.1 million (in MMI&gt;=VII)</gdacs:population>
      <gdacs:iso3>{escape(iso3)}</gdacs:iso3>
      <gdacs:country>Philippines</gdacs:country>
      <gdacs:glide>EQ-2026-000001-PHL</gdacs:glide>
    </item>"""


def rss(*items: str, encoding: str | None = "utf-8") -> bytes:
    """Wrap items in a GDACS RSS channel."""
    declaration = f'<?xml version="1.0" encoding="{encoding}"?>' if encoding else ""
    text = f"""{declaration}
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:geo="http://www.w3.org/2003/01/geo/wgs84_pos#" xmlns:gdacs="http://www.gdacs.org" xmlns:georss="http://www.georss.org/georss">
  <channel>
    <title>GDACS RSS information</title>
    <link>https://www.gdacs.org/</link>
    <pubDate>Mon, 23 Nov 2026 10:00:00 GMT</pubDate>{"".join(items)}
  </channel>
</rss>
"""
    return text.encode(encoding or "utf-8")


def good_rss(event_id: int, **kwargs: object) -> bytes:
    return rss(rss_item(event_id, **kwargs))  # type: ignore[arg-type]


def gdacs_feature(event_id: int, **overrides: object) -> dict[str, object]:
    properties: dict[str, object] = {
        "eventtype": "FL",
        "eventid": event_id,
        "episodeid": 1,
        "name": "Flood in Spain",
        "alertlevel": "Red",
        "alertscore": 3,
        "episodealertlevel": "Red",
        "iscurrent": "true",
        "country": "Spain",
        "iso3": "ESP",
        "fromdate": "2026-10-27T15:00:00",
        "todate": "2026-11-04T11:00:00",
        "glide": "FL-2026-000199-ESP",
        "Class": "Point_Centroid",
        "affectedcountries": [{"iso3": "ESP", "countryname": "Spain"}],
        "severitydata": {"severity": 0.0, "severitytext": "Magnitude 0 ", "severityunit": ""},
    }
    properties.update(overrides)
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [-3.41, 38.6]},
        "properties": properties,
    }


def gdacs_collection(*features: object) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


def reliefweb_item(disaster_id: object, **overrides: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "id": disaster_id,
        "name": "Chad: Floods - Aug 2026",
        "status": "alert",
        "glide": "FL-2026-000139-TCD",
        "date": {"changed": "2026-11-20T10:00:00+00:00", "event": "2026-08-01T00:00:00+00:00"},
        "primary_type": {"code": "FL", "name": "Flood"},
        "primary_country": {"iso3": "tcd", "shortname": "Chad"},
    }
    fields.update(overrides)
    return {"id": str(disaster_id), "fields": fields}


def reliefweb(*items: object) -> bytes:
    return json.dumps(
        {
            "href": "https://api.reliefweb.int/v2/disasters",
            "totalCount": len(items),
            "data": list(items),
        }
    ).encode()


def _billion_laughs(levels: int, fanout: int) -> bytes:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{"".join(f"&lol{i - 1};" for _ in range(fanout))}">'
        for i in range(1, levels)
    ]
    return (
        f'<?xml version="1.0"?><!DOCTYPE rss [{"".join(entities)}]>'
        f"<rss><channel><item><title>&lol{levels - 1};</title></item></channel></rss>"
    ).encode()


def _xxe(system: str, *, parameter: bool = False) -> bytes:
    if parameter:
        dtd = f'<!DOCTYPE rss [<!ENTITY % ext SYSTEM "{system}"> %ext;]>'
        body = "<rss><channel/></rss>"
    else:
        dtd = f'<!DOCTYPE rss [<!ENTITY ext SYSTEM "{system}">]>'
        body = "<rss><channel><item><title>&ext;</title></item></channel></rss>"
    return f'<?xml version="1.0"?>{dtd}{body}'.encode()


def hostile_corpus() -> list[Hostile]:
    """Build the corpus: at least 200 documents no poller may crash on."""
    docs: list[Hostile] = []
    add = docs.append

    def add_json_item(name: str, body: bytes, reason: str) -> None:
        """A JSON page whose one bad item is refused for `reason` while the rest stays."""
        add(Hostile(name, body, item=reason, content_type="application/json"))

    # Entity expansion and external entities: refused before any expansion.
    for levels in range(2, 12):
        add(Hostile(f"billion-laughs-{levels}", _billion_laughs(levels, 10), "unsafe_xml"))
    for levels, fanout in ((3, 1000), (2, 50_000)):
        add(
            Hostile(
                f"quadratic-{levels}-{fanout}", _billion_laughs(levels, fanout)[:CAP], "unsafe_xml"
            )
        )
    for target in (
        "file:///etc/passwd",
        "file:///dev/random",
        "http://127.0.0.1:1/secret",
        "https://example.invalid/x.dtd",
        "expect://id",
        "php://filter/resource=/etc/hosts",
    ):
        add(Hostile(f"xxe-{target[:12]}", _xxe(target), "unsafe_xml"))
        add(Hostile(f"xxe-param-{target[:12]}", _xxe(target, parameter=True), "unsafe_xml"))
    add(
        Hostile(
            "external-dtd",
            b'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "http://127.0.0.1:1/rss.dtd"><rss/>',
            "unsafe_xml",
        )
    )
    # Too large: refused by size, whatever it holds.
    big_item = rss_item(1)
    add(Hostile("oversized-rss", rss(*([big_item] * (CAP // len(big_item) + 2))), "too_large"))
    add(
        Hostile(
            "oversized-json", gdacs_collection(*[gdacs_feature(i) for i in range(400)]), "too_large"
        )
    )
    add(Hostile("oversized-whitespace", b" " * (CAP + 1) + b"<rss/>", "too_large"))
    add(Hostile("oversized-html", b"<html>" + b"x" * CAP + b"</html>", "too_large"))
    # Truncated documents: cut anywhere past the root's start tag.
    whole_rss = rss(rss_item(10), rss_item(11), rss_item(12))
    for fraction in (x / 2 for x in range(5, 200, 5)):
        cut = max(int(len(whole_rss) * fraction / 100), 60)
        add(Hostile(f"truncated-rss-{fraction}", whole_rss[:cut], "malformed"))
    whole_json = gdacs_collection(gdacs_feature(20), gdacs_feature(21))
    for fraction in range(10, 100, 10):
        add(
            Hostile(
                f"truncated-json-{fraction}",
                whole_json[: int(len(whole_json) * fraction / 100)],
                "malformed",
            )
        )
    whole_relief = reliefweb(reliefweb_item(30), reliefweb_item(31))
    for fraction in (25, 50, 75, 99):
        add(
            Hostile(
                f"truncated-reliefweb-{fraction}",
                whole_relief[: int(len(whole_relief) * fraction / 100)],
                "malformed",
            )
        )
    # Not well-formed in the many ways a broken generator or proxy manages.
    good = good_rss(50).decode()
    for index, (old, new) in enumerate(
        (
            ("Red earthquake", "Red & earthquake"),
            ("Red earthquake", "Red \x01 earthquake"),
            ("</title>", "</titel>"),
            ("<gdacs:iso3>", "<!-- <gdacs:iso3>"),
            ('unit="M"', 'unit="M" unit="N"'),
            ("Magnitude 7.4M", "Magnitude < 7.4M"),
            ("</rss>", ""),
            ("</rss>", "</rss><rss/>"),
            ("Magnitude 7.4M", "<![CDATA[Magnitude 7.4M"),
            ("<rss ", '<?xml version="1.0"?><rss '),
            ("Philippines", "Phil\x00ippines"),
            ("Philippines", "Phil&#0;ippines"),
            ("<gdacs:country>", "<nowhere:country>"),
            ('unit="M"', "unit=M"),
            ("Philippines", "Phil&#xD800;ippines"),
        )
    ):
        add(Hostile(f"not-well-formed-{index}", good.replace(old, new, 1).encode(), "malformed"))
    # Encodings: wrong, unknown, or broken.
    latin = rss_item(40).replace("Philippines", "Côte d'Ivoire São Tomé")
    add(
        Hostile(
            "latin1-declared-utf8",
            rss(latin, encoding="utf-8").decode().encode("latin-1"),
            "encoding",
        )
    )
    add(
        Hostile(
            "unknown-encoding",
            good_rss(41).replace(b'encoding="utf-8"', b'encoding="x-klingon"'),
            "encoding",
        )
    )
    add(Hostile("utf16-declared-utf8", good_rss(42).decode().encode("utf-16-le"), "encoding"))
    add(
        Hostile(
            "cp1252-quotes-in-utf8",
            good_rss(43).replace(b"occurred", b"\x93occurred\x94"),
            "encoding",
        )
    )
    add(
        Hostile(
            "json-invalid-utf8",
            reliefweb(reliefweb_item(44)).replace(b"Chad", b"Ch\xe4d"),
            "encoding",
        )
    )
    add(Hostile("random-bytes", bytes(range(256)) * 4, "not_a_feed"))
    add(Hostile("nul-bytes", b"\x00" * 100, "not_a_feed"))
    # Error pages and other things that are not a feed, served with 200.
    for index, page in enumerate(
        (
            b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>",
            b"<html><head><title>Maintenance</title></head><body>Back soon</body></html>",
            b"\n\n   <!doctype HTML>\n<html lang=en><title>Just a moment...</title>",
            b"<HTML><BODY>Service Unavailable</BODY></HTML>",
            b"<head><meta http-equiv=refresh content=0></head>",
            b"<body>Access denied</body>",
            b'<?xml version="1.0"?><error><code>500</code><message>Internal</message></error>',
            b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>x</title></feed>',
            b'<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"/>',
            b"Internal Server Error",
            b"OK",
            b'{"error": "rate limit exceeded"}',
            b'{"status": 503, "message": "upstream unavailable"}',
            b"{}",
            b"[]",
            b'"just a string"',
            b"42",
            b"null",
            b"true",
        )
    ):
        add(Hostile(f"not-a-feed-{index}", page, "not_a_feed"))
    # Empty bodies.
    for index, empty in enumerate((b"", b" ", b"\n\n\t", b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n")):
        add(Hostile(f"empty-{index}", empty, "empty"))
    # JSON of the right family with the wrong shape.
    for index, shape in enumerate(
        (
            {"type": "FeatureCollection", "features": "none"},
            {"type": "FeatureCollection", "features": None},
            {"type": "FeatureCollection", "features": {"0": {}}},
            {"type": "FeatureCollection"},
            {"href": "https://api.reliefweb.int/v1/disasters", "totalCount": 1, "data": {"id": 1}},
            {"totalCount": 0, "data": None},
            {"totalCount": 2, "data": "two"},
        )
    ):
        add(Hostile(f"bad-shape-{index}", json.dumps(shape).encode(), "bad_shape"))
    add(Hostile("deep-json", b"[" * 30_000 + b"]" * 30_000, "malformed"))
    add(Hostile("deep-json-object", b'{"a":' * 10_000 + b"1" + b"}" * 10_000, "malformed"))
    # GDACS GeoJSON items with wrong types or missing fields: that item goes, the rest stays.
    for index, (override, reason) in enumerate(
        (
            ({"eventid": "abc"}, "bad_value"),
            ({"eventid": None}, "missing_field"),
            ({"eventid": [1, 2]}, "bad_value"),
            ({"eventtype": None}, "missing_field"),
            ({"eventtype": "EARTHQUAKE-LONG"}, "bad_value"),
            ({"episodeid": "first"}, "bad_value"),
            ({"alertscore": "high"}, "bad_value"),
            ({"alertscore": {"v": 1}}, "bad_value"),
            ({"iscurrent": "maybe"}, "bad_value"),
            ({"affectedcountries": "ESP"}, "bad_value"),
            ({"affectedcountries": [42]}, "bad_value"),
            ({"severitydata": "big"}, "bad_value"),
            ({"severitydata": {"severity": "huge"}}, "bad_value"),
            ({"fromdate": "yesterday", "datemodified": None}, "bad_date"),
            ({"fromdate": "2026-13-45T99:00:00", "datemodified": None}, "bad_date"),
            ({"fromdate": "0001-01-01T00:00:00", "datemodified": None}, "bad_date"),
            ({"fromdate": None, "datemodified": None}, "missing_field"),
            ({"fromdate": 20261127}, "bad_value"),
            ({"name": {"en": "x"}}, "bad_value"),
            ({"url": "https://x"}, "bad_value"),
        )
    ):
        bad = gdacs_feature(100 + index, **override)
        add_json_item(
            f"gdacs-json-item-{index}", gdacs_collection(bad, gdacs_feature(200 + index)), reason
        )
    add(
        Hostile(
            "gdacs-json-properties-null",
            gdacs_collection({"type": "Feature", "properties": None}, gdacs_feature(230)),
            item="bad_value",
        )
    )
    add(
        Hostile(
            "gdacs-json-feature-string",
            gdacs_collection("feature", gdacs_feature(231)),
            item="bad_value",
        )
    )
    # ReliefWeb items with wrong types or missing fields.
    for index, (item, reason) in enumerate(
        (
            (reliefweb_item("x"), "bad_value"),
            (reliefweb_item(None), "missing_field"),
            ({"id": "1"}, "bad_value"),
            ({"id": "1", "fields": []}, "bad_value"),
            ("disaster", "bad_value"),
            (reliefweb_item(301, name=None), "missing_field"),
            (reliefweb_item(302, name=""), "bad_value"),
            (reliefweb_item(303, name=["Chad"]), "bad_value"),
            (reliefweb_item(304, date="2026-08-01"), "bad_value"),
            (reliefweb_item(305, country="TCD"), "bad_value"),
            (reliefweb_item(306, primary_type="FL"), "bad_value"),
            (
                reliefweb_item(307, name="Somewhere: Floods", glide=None, date={"event": "soon"}),
                "bad_date",
            ),
            (reliefweb_item(308, name="Somewhere: Floods", glide=None, date=None), "missing_field"),
        )
    ):
        add_json_item(
            f"reliefweb-item-{index}", reliefweb(item, reliefweb_item(400 + index)), reason
        )
    # RSS items with odd dates: unreadable everywhere means the item is refused.
    for index, odd in enumerate(
        (
            "yesterday",
            "31/02/2026 10:00",
            "2026-13-45",
            "Mon, 99 Nov 2026 25:61:00 GMT",
            "0001-01-01",
            "9999-12-31T00:00:00",
            "--",
            "NaN",
        )
    ):
        add(
            Hostile(
                f"rss-odd-date-{index}",
                good_rss(500 + index, fromdate=odd, pubdate=odd),
                item="bad_date",
            )
        )
    add(Hostile("rss-no-date", good_rss(510, fromdate="", pubdate=""), item="missing_field"))
    # Odd but readable dates are fine: the event goes out.
    for index, odd in enumerate(
        ("2026-11-23T10:00:00Z", "23 Nov 2026 10:00:00", "11/23/2026 10:00:00 AM", "2026-11-23")
    ):
        add(Hostile(f"rss-readable-date-{index}", good_rss(520 + index, fromdate=odd)))
    # Populations and coordinates no planet has: blanked, the red alert still goes out.
    absurd = ["-1", "-2114000", "1e15", "99999999999999999999", "NaN", "inf", "-inf", "lots"]
    absurd += ["1e400", "1,000", "2.1 million", "0x10"]
    for index, population in enumerate(absurd):
        add(
            Hostile(
                f"absurd-population-{index}",
                good_rss(600 + index, population=population),
                dropped="population",
            )
        )
    for index, (lat, lon, field) in enumerate(
        (
            ("91", "10", "lat"),
            ("-400", "10", "lat"),
            ("10", "181", "lon"),
            ("10", "-1e9", "lon"),
            ("north", "10", "lat"),
        )
    ):
        add(
            Hostile(
                f"absurd-coordinate-{index}", good_rss(620 + index, lat=lat, lon=lon), dropped=field
            )
        )
    add(Hostile("unknown-alert-level", good_rss(630, alert="Purple"), dropped="alert_level"))
    add(Hostile("invalid-iso3", good_rss(631, iso3="Philippines")))
    add(Hostile("empty-population", good_rss(632, population="")))
    # RSS items without identity, or with a garbled one.
    add(
        Hostile(
            "rss-no-ids", rss(rss_item(640, with_ids=False), rss_item(641)), item="missing_field"
        )
    )
    add(Hostile("rss-bad-eventid", rss(rss_item("12a"), rss_item(642)), item="bad_value"))
    # Many items, one bad: the rest go through.
    add(
        Hostile(
            "rss-many-one-bad",
            rss(
                *[rss_item(700 + i) for i in range(30)],
                rss_item(730, fromdate="never", pubdate="never"),
            ),
            item="bad_date",
        )
    )
    # Compressed-looking garbage served as XML.
    add(Hostile("gzip-as-body", gzip.compress(good_rss(800)), "not_a_feed"))
    return docs
