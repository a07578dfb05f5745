"""A names-only GDACS history of 2013–2016, written from the patterns of the archive of that time.

Each record is one orange or red GDACS alert as an archive keeps it: its *last* episode
(published when the event was over, for cyclones and floods days after it began), country
*names* only (`gdacs:iso3` empty), some of them regions ("Hindu Kush Region",
"Myanmar-India Border Region"), lists or old spellings ("Burma", "Swaziland"); flood
population fields that state the dead ("121 killed and 2400 displaced"); a duplicate GDACS
record of one quake; a variant hazard code (`EQx`); aftershocks; and cyclones with the
floods GDACS filed for them. Places, dates, magnitudes and winds follow the public record
of each disaster; event ids, exact figures and exposure numbers are ours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class Record:
    kind: str  # GDACS event type as written (EQ, EQx, TC, FL, VO, DR)
    start: str  # "YYYY-MM-DD HH:MM"
    alert: str
    country: str
    lat: float
    lon: float
    severity: float = 0.0
    population: int = 0
    impact: str = ""  # flood population words: "121 killed and 2400 displaced"
    days: float = 0.0  # how long the event lasted (cyclones, floods)
    published_after_h: float = 0.5  # when the saved (last) episode was published
    name: str = ""


R = Record
HISTORY: tuple[Record, ...] = (
    # --- 2013 ---
    R("EQ", "2013-02-06 01:12", "Orange", "Solomon Islands", -10.74, 165.14, 8.0, 60_000),
    R("EQ", "2013-04-16 10:44", "Orange", "Iran, Pakistan", 28.03, 62.0, 7.7, 2_000_000),
    R("EQ", "2013-04-20 00:02", "Red", "China", 30.28, 102.96, 6.6, 1_500_000),
    R("TC", "2013-05-13 00:00", "Orange", "Bangladesh, Burma", 21.9, 91.8, 110, 3_000_000,
      days=4, published_after_h=96, name="MAHASEN-13"),
    R("EQ", "2013-05-24 05:44", "Orange", "Sea Of Okhotsk", 54.87, 153.28, 8.3, 0),
    R("FL", "2013-06-16 00:00", "Orange", "India", 30.7, 79.0, impact="5700 killed and 100000 displaced",
      days=10, published_after_h=240),
    R("FL", "2013-08-10 00:00", "Orange", "Pakistan", 28.5, 69.5, impact="178 killed and 100000 displaced",
      days=12, published_after_h=288),
    R("FL", "2013-09-14 00:00", "Orange", "Mexico", 17.5, -99.5, impact="157 killed and 59000 displaced",
      days=6, published_after_h=144),
    R("TC", "2013-09-16 00:00", "Red", "Philippines, Taiwan, China", 21.5, 117.0, 220, 9_000_000,
      days=7, published_after_h=168, name="USAGI-13"),
    R("EQ", "2013-09-24 11:29", "Orange", "Pakistan", 26.97, 65.52, 7.7, 600_000),
    R("TC", "2013-10-04 00:00", "Orange", "China, Japan, Taiwan", 27.3, 120.4, 150, 5_000_000,
      days=4, published_after_h=96, name="FITOW-13"),
    R("TC", "2013-10-08 00:00", "Red", "India", 19.3, 84.9, 260, 12_000_000,
      days=5, published_after_h=120, name="PHAILIN-13"),
    R("EQ", "2013-10-15 00:12", "Red", "Philippines", 9.88, 124.12, 7.1, 3_500_000),
    R("TC", "2013-11-04 00:00", "Red", "Philippines, Viet Nam, China", 11.0, 125.0, 314, 16_000_000,
      days=7, published_after_h=96, name="HAIYAN-13"),
    R("FL", "2013-11-09 00:00", "Orange", "Philippines", 11.2, 124.9, impact="4 killed and 13000 displaced",
      days=5, published_after_h=120),
    R("VO", "2013-11-24 00:00", "Orange", "Indonesia", 3.17, 98.39, published_after_h=72, name="Sinabung"),
    # --- 2014 ---
    R("TC", "2014-01-01 00:00", "Orange", "Reunion, Mauritius", -21.1, 55.5, 180, 800_000,
      days=4, published_after_h=96, name="BEJISA-14"),
    R("EQ", "2014-04-01 23:46", "Red", "Chile", -19.61, -70.77, 8.2, 700_000),
    R("EQ", "2014-04-12 20:14", "Orange", "Solomon Islands", -11.27, 162.15, 7.6, 20_000),
    R("EQ", "2014-04-18 14:27", "Orange", "Mexico", 17.4, -100.97, 7.2, 3_000_000),
    R("FL", "2014-05-14 00:00", "Orange", "Serbia, Bosnia and Herzegovina, Croatia", 44.8, 19.3,
      impact="62 killed and 32000 displaced", days=7, published_after_h=168),
    R("TC", "2014-07-04 00:00", "Orange", "Japan", 31.5, 130.3, 160, 6_000_000,
      days=7, published_after_h=168, name="NEOGURI-14"),
    R("TC", "2014-07-12 00:00", "Red", "Philippines, China, Viet Nam", 13.8, 123.5, 250, 10_000_000,
      days=8, published_after_h=192, name="RAMMASUN-14"),
    R("EQ", "2014-08-03 08:30", "Red", "China", 27.19, 103.41, 6.1, 1_000_000),
    R("FL", "2014-09-03 00:00", "Orange", "India, Pakistan", 33.5, 74.5, impact="557 killed and 200000 displaced",
      days=14, published_after_h=336),
    R("TC", "2014-09-10 00:00", "Orange", "Mexico", 22.9, -109.9, 205, 300_000,
      days=8, published_after_h=192, name="ODILE-14"),
    R("TC", "2014-10-07 00:00", "Red", "India", 17.7, 83.3, 215, 8_000_000,
      days=7, published_after_h=168, name="HUDHUD-14"),
    R("EQ", "2014-11-22 08:55", "Orange", "China", 30.27, 101.69, 5.9, 300_000),
    R("TC", "2014-12-01 00:00", "Red", "Philippines", 12.0, 125.5, 250, 12_000_000,
      days=10, published_after_h=120, name="HAGUPIT-14"),
    # --- 2015 ---
    R("FL", "2015-01-12 00:00", "Orange", "Malawi, Mozambique", -15.8, 35.0,
      impact="276 killed and 230000 displaced", days=14, published_after_h=336),
    R("TC", "2015-03-09 00:00", "Red", "Vanuatu, Solomon Islands, Tuvalu", -17.7, 168.3, 270, 200_000,
      days=7, published_after_h=144, name="PAM-15"),
    R("VO", "2015-04-22 00:00", "Orange", "Chile", -41.33, -72.62, published_after_h=48, name="Calbuco"),
    R("EQ", "2015-04-25 06:11", "Red", "Nepal", 28.23, 84.73, 7.8, 5_300_000, published_after_h=1),
    # GDACS filed the same quake twice, seconds and kilometres apart.
    R("EQ", "2015-04-25 06:11", "Red", "Nepal", 28.15, 84.71, 7.9, 5_100_000, published_after_h=2),
    R("EQ", "2015-04-25 06:45", "Orange", "Nepal", 28.19, 84.86, 6.6, 1_800_000),
    R("EQ", "2015-04-26 07:09", "Orange", "Nepal", 27.79, 85.91, 6.7, 2_500_000),
    R("EQ", "2015-05-05 01:44", "Orange", "Papua New Guinea", -5.46, 151.87, 7.5, 100_000),
    R("EQ", "2015-05-12 07:05", "Red", "Nepal, China", 27.84, 86.08, 7.3, 3_000_000),
    R("DR", "2015-06-01 00:00", "Orange", "Ethiopia, Somalia, Kenya, Djibouti", 9.0, 40.0,
      days=180, published_after_h=2000),
    R("TC", "2015-07-26 00:00", "Orange", "Bangladesh, Burma, India", 22.0, 91.5, 100, 5_000_000,
      days=6, published_after_h=144, name="KOMEN-15"),
    R("FL", "2015-07-30 00:00", "Orange", "Burma", 21.5, 94.5, impact="103 killed and 330000 displaced",
      days=12, published_after_h=288),
    R("TC", "2015-07-30 00:00", "Red", "Taiwan, China", 24.3, 121.4, 230, 8_000_000,
      days=10, published_after_h=240, name="SOUDELOR-15"),
    R("DR", "2015-08-01 00:00", "Orange", "Papua New Guinea, Solomon Islands, Vanuatu", -6.5, 145.0,
      days=150, published_after_h=2000),
    R("EQ", "2015-09-16 22:54", "Red", "Chile", -31.57, -71.67, 8.3, 1_200_000),
    R("TC", "2015-10-12 00:00", "Red", "Philippines", 16.0, 121.5, 240, 6_000_000,
      days=9, published_after_h=216, name="KOPPU-15"),
    R("TC", "2015-10-20 00:00", "Red", "Mexico", 19.3, -105.0, 345, 400_000,
      days=4, published_after_h=96, name="PATRICIA-15"),
    R("EQ", "2015-10-26 09:09", "Red", "Hindu Kush Region", 36.52, 70.37, 7.5, 7_000_000),
    R("TC", "2015-10-28 00:00", "Red", "Yemen, Oman, Somalia", 14.0, 49.0, 240, 700_000,
      days=7, published_after_h=168, name="CHAPALA-15"),
    R("FL", "2015-11-09 00:00", "Orange", "India", 13.08, 80.27, impact="400 killed and 1800000 displaced",
      days=30, published_after_h=720),
    R("TC", "2015-12-10 00:00", "Red", "Philippines", 12.5, 124.5, 230, 5_000_000,
      days=7, published_after_h=168, name="MELOR-15"),
    # --- 2016 ---
    R("EQ", "2016-01-03 23:05", "Orange", "Myanmar-India Border Region", 24.8, 93.65, 6.7, 1_500_000),
    R("EQ", "2016-02-05 19:57", "Red", "Taiwan", 22.94, 120.6, 6.4, 2_500_000),
    R("TC", "2016-02-10 00:00", "Red", "Fiji, Tonga", -17.5, 178.5, 285, 500_000,
      days=14, published_after_h=336, name="WINSTON-16"),
    R("EQ", "2016-03-02 12:49", "Orange", "Southwest Of Sumatra, Indonesia", -4.91, 94.28, 7.8, 0),
    R("EQ", "2016-04-14 12:26", "Orange", "Japan", 32.7, 130.7, 6.2, 1_800_000),
    R("EQ", "2016-04-15 16:25", "Red", "Japan", 32.79, 130.75, 7.0, 2_000_000),
    R("EQ", "2016-04-16 23:58", "Red", "Ecuador", 0.38, -79.92, 7.8, 2_800_000),
    R("TC", "2016-05-14 00:00", "Orange", "Sri Lanka, Bangladesh, India, Burma", 8.0, 81.5, 110, 3_000_000,
      days=8, published_after_h=192, name="ROANU-16"),
    R("FL", "2016-05-15 00:00", "Orange", "Sri Lanka", 7.2, 80.5, impact="101 killed and 300000 displaced",
      days=7, published_after_h=168),
    R("EQ", "2016-05-28 09:46", "Orange", "South Sandwich Islands Region", -56.24, -26.94, 7.2, 0),
    R("FL", "2016-07-01 00:00", "Orange", "China", 30.0, 114.0, impact="237 killed and 2800000 displaced",
      days=20, published_after_h=480),
    R("TC", "2016-07-03 00:00", "Red", "Taiwan, China", 22.7, 121.1, 240, 5_000_000,
      days=7, published_after_h=168, name="NEPARTAK-16"),
    R("DR", "2016-02-01 00:00", "Orange", "Swaziland, Lesotho, Zimbabwe, Malawi", -26.5, 31.5,
      days=200, published_after_h=2500),
    R("EQ", "2016-08-24 01:36", "Red", "Italy", 42.7, 13.24, 6.2, 400_000),
    R("TC", "2016-08-20 00:00", "Orange", "Japan", 39.0, 141.9, 150, 2_000_000,
      days=11, published_after_h=264, name="LIONROCK-16"),
    R("TC", "2016-09-10 00:00", "Red", "Taiwan, China, Philippines", 21.0, 121.0, 305, 4_000_000,
      days=7, published_after_h=168, name="MERANTI-16"),
    R("TC", "2016-09-28 00:00", "Red", "Haiti, Cuba, Jamaica, Bahamas, United States", 18.3, -74.2, 260,
      3_000_000, days=12, published_after_h=288, name="MATTHEW-16"),
    R("FL", "2016-10-05 00:00", "Orange", "Haiti", 18.5, -73.5, impact="546 killed and 175000 displaced",
      days=6, published_after_h=144),
    R("TC", "2016-10-14 00:00", "Red", "Philippines, China", 18.0, 122.0, 270, 4_000_000,
      days=8, published_after_h=192, name="HAIMA-16"),
    R("EQ", "2016-11-13 11:02", "Red", "New Zealand", -42.69, 173.02, 7.8, 200_000),
    R("EQ", "2016-12-06 22:03", "Red", "Northern Sumatra, Indonesia", 5.28, 96.11, 6.5, 2_000_000),
    R("EQx", "2016-12-08 17:38", "Orange", "Solomon Islands", -10.68, 161.33, 7.8, 30_000),
    R("EQ", "2016-12-17 10:51", "Orange", "New Ireland Region, Papua New Guinea", -4.5, 153.5, 7.9, 50_000),
    R("TC", "2016-12-21 00:00", "Red", "Philippines", 13.5, 124.0, 255, 6_000_000,
      days=7, published_after_h=120, name="NOCK-TEN-16"),
)  # fmt: skip

_HAZARD = {"EQ": "earthquake", "EQx": "earthquake", "TC": "tropical cyclone", "FL": "flood",
           "VO": "volcano", "DR": "drought"}  # fmt: skip


def _rfc(when: datetime) -> str:
    return when.strftime("%a, %d %b %Y %H:%M:%S GMT")


def _item(index: int, record: Record) -> str:
    start = datetime.strptime(record.start, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    published = start + timedelta(hours=record.published_after_h)
    end = start + timedelta(days=record.days)
    event_id = 1_000_000 + index
    if record.kind.startswith("EQ"):
        severity = (
            f'unit="M" value="{record.severity}"',
            f"Magnitude {record.severity}M, Depth:10km",
        )
        population = (f'unit="in MMI&gt;=VII" value="{record.population}"',
                      f"{record.population / 1e6:.1f} million in MMI&gt;=VII")  # fmt: skip
    elif record.kind == "TC":
        severity = (f'unit="km/h" value="{record.severity}"',
                    f"Maximum wind speed of {record.severity:.0f} km/h")  # fmt: skip
        population = (
            'unit="Population affected by Category 1 (120 km/h) wind speeds or higher" '
            f'value="{record.population}"',
            f"{record.population / 1e6:.1f} million in Category 1 or higher",
        )
    elif record.kind == "FL":
        deaths = record.impact.split()[0] if record.impact else "0"
        severity = ('unit="" value="0"', "Magnitude 0")
        population = (f'unit="Population Affected" value="{deaths}"', escape(record.impact))
    else:
        severity = ('unit="" value="0"', "")
        population = ('unit="" value="0"', "")
    words = _HAZARD[record.kind]
    title = f"{record.alert} {words} alert in {record.country}"
    if record.name:
        title = f"{record.alert} alert for {words} {record.name} in {record.country}"
    return f"""
    <item>
      <title>{escape(title)}</title>
      <description>{escape(title)}.</description>
      <link>http://www.gdacs.org/report.aspx?eventtype={record.kind[:2]}&amp;eventid={event_id}</link>
      <pubDate>{_rfc(published)}</pubDate>
      <guid isPermaLink="false">{record.kind[:2]}{event_id}</guid>
      <gdacs:fromdate>{_rfc(start)}</gdacs:fromdate>
      <gdacs:todate>{_rfc(end)}</gdacs:todate>
      <gdacs:eventtype>{record.kind}</gdacs:eventtype>
      <gdacs:eventid>{event_id}</gdacs:eventid>
      <gdacs:episodeid>{event_id + 500_000}</gdacs:episodeid>
      <gdacs:alertlevel>{record.alert}</gdacs:alertlevel>
      <gdacs:severity {severity[0]}>{severity[1]}</gdacs:severity>
      <gdacs:population {population[0]}>{population[1]}</gdacs:population>
      <gdacs:country>{escape(record.country)}</gdacs:country>
      <gdacs:iso3></gdacs:iso3>
      <gdacs:glide></gdacs:glide>
      <georss:point>{record.lat} {record.lon}</georss:point>
    </item>"""


def gdacs_archive(records: tuple[Record, ...] = HISTORY) -> bytes:
    """Render the records as one GDACS RSS document of the older element set."""
    items = "".join(_item(i, r) for i, r in enumerate(records))
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:gdacs="http://www.gdacs.org" xmlns:georss="http://www.georss.org/georss">
  <channel>
    <title>GDACS orange and red alerts 2013-2016 (names only)</title>{items}
  </channel>
</rss>""".encode()
