"""The catalogue the data generator draws from: stations, ports, agencies, spacecraft configs.

The ids and names are upstream's (LL2 2.2.0); the station windows and vehicle families
(``Kind``: which config, how vehicles are named, how long they stay, where and when they flew)
drive the generated history, roughly as the real stations were visited since 1987.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

LL2 = "https://ll.thespacedevs.com/2.2.0"
IMG = "https://thespacedevs-prod.nyc3.digitaloceanspaces.com/media/images"

STATIONS: dict[int, tuple[str, str]] = {
    4: ("International Space Station", f"{IMG}/international2520space2520station_image.jpg"),
    18: ("Tiangong space station", f"{IMG}/tiangong_space__image_20231031004146.png"),
    6: ("Mir", f"{IMG}/mir_image_20190207032313.jpeg"),
    1: ("Tiangong-1", f"{IMG}/tiangong-1_image_20190207032414.jpeg"),
    2: ("Tiangong-2", f"{IMG}/tiangong-2_image_20190207032424.jpeg"),
}
DESTINATIONS = {
    4: "International Space Station",
    18: "Tiangong Space Station",
    6: "Mir",
    1: "Tiangong-1",
    2: "Tiangong-2",
}
# Station active windows (first, last docking) for generated history.
STATION_WINDOWS: dict[int, tuple[datetime, datetime | None]] = {
    6: (datetime(1987, 2, 9, tzinfo=UTC), datetime(2000, 6, 1, tzinfo=UTC)),
    4: (datetime(1998, 12, 7, tzinfo=UTC), None),
    1: (datetime(2011, 11, 2, tzinfo=UTC), datetime(2013, 6, 26, tzinfo=UTC)),
    2: (datetime(2016, 10, 19, tzinfo=UTC), datetime(2017, 9, 17, tzinfo=UTC)),
    18: (datetime(2021, 5, 29, tzinfo=UTC), None),
}
LOCATIONS: dict[int, tuple[str, int]] = {
    1: ("Unity nadir", 4),
    2: ("Zvezda aft", 4),
    3: ("Poisk zenith", 4),
    12: ("Node 2 forward", 4),
    13: ("Rassvet nadir", 4),
    17: ("Destiny forward", 4),
    18: ("Pirs nadir", 4),
    19: ("Harmony forward", 4),
    21: ("Harmony nadir", 4),
    30: ("Harmony zenith", 4),
    34: ("Nauka nadir", 4),
    36: ('PMA-2/IDA_2, 100% "forward"', 4),
    5: ("Core forward", 6),
    6: ("Kvant-1", 6),
    8: ("Kvant-2", 6),
    9: ("Core aft", 6),
    10: ("Kristall module", 6),
    4: ("Forward", 1),
    22: ("Forward", 2),
    31: ("Tianhe forward", 18),
    32: ("Tianhe aft", 18),
    33: ("Tianhe radial", 18),
}

# fmt: off
# id: (name, type, country, abbrev, founding_year, launchers, spacecraft, parent)
AGENCIES: dict[int, tuple[str, str, str, str, str, str, str, str | None]] = {
    63: ("Russian Federal Space Agency (ROSCOSMOS)", "Government", "RUS", "RFSA", "1992",
         "Soyuz | Proton | Angara", "Soyuz | Progress", None),
    44: ("National Aeronautics and Space Administration", "Government", "USA", "NASA", "1958",
         "Space Shuttle | SLS", "Space Shuttle | Orion", None),
    121: ("SpaceX", "Commercial", "USA", "SpX", "2002", "Falcon", "Dragon", None),
    88: ("China Aerospace Science and Technology Corporation", "Government", "CHN", "CASC",
         "1999", "Long March", "", None),
    37: ("Japan Aerospace Exploration Agency", "Government", "JPN", "JAXA", "2003",
         "H-IIA | H-IIB | H3", "HTV", None),
    27: ("European Space Agency", "Multinational", "FRA,DEU,ITA", "ESA", "1975", "Ariane",
         "ATV", None),
    257: ("Northrop Grumman Space Systems", "Commercial", "USA", "NGSS", "2018",
          "Antares | Minotaur", "Cygnus", "Northrop Grumman"),
    80: ("Boeing", "Commercial", "USA", "BA", "1916", "", "Starliner", None),
}

# id: (name, (type id, type name), agency, in_use, maiden, height, diameter, human_rated,
#      crew_capacity, payload_capacity, payload_return_capacity, flight_life)
CONFIGS: dict[int, tuple[Any, ...]] = {
    1: ("Soyuz", (1, "Unknown"), 63, True, "1967-04-23", 7.48, 2.72, True, 3, None, None,
        "up to 200 days"),
    2: ("Progress", (4, "Cargo Resupply"), 63, True, "1978-01-20", 7.2, 2.72, False, None,
        2350, None, "180 days"),
    3: ("Space Shuttle", (3, "Spaceplane"), 44, False, "1981-04-12", 37.24, 8.7, True, 8,
        27500, 14400, "2 weeks"),
    4: ("Dragon 1", (4, "Cargo Resupply"), 121, False, "2010-12-08", 6.1, 3.7, False, None,
        6000, 3000, "1 month"),
    6: ("Crew Dragon 2", (2, "Capsule"), 121, True, "2019-03-02", 8.1, 4.0, True, 4, 6000,
        3000, "210 days"),
    7: ("Cargo Dragon 2", (4, "Cargo Resupply"), 121, True, "2020-12-06", 8.1, 4.0, False,
        None, 6000, 3300, "75 days"),
    9: ("Cygnus", (4, "Cargo Resupply"), 257, True, "2013-09-18", 6.39, 3.07, False, None,
        3750, None, None),
    10: ("H-II Transfer Vehicle", (4, "Cargo Resupply"), 37, False, "2009-09-10", 9.8, 4.4,
         False, None, 6000, None, "Unknown"),
    11: ("Automated Transfer Vehicle", (4, "Cargo Resupply"), 27, False, "2008-03-09", 10.3,
         4.5, False, None, 7667, None, "6 months"),
    18: ("Shenzhou", (2, "Capsule"), 88, True, "1999-11-19", 9.25, 2.8, True, 3, 300, None,
         "183 days"),
    26: ("Starliner", (2, "Capsule"), 80, True, "2019-12-20", 5.03, 4.56, True, 7, None, None,
         "210 days"),
}
# fmt: on


@dataclass(frozen=True)
class Kind:
    """A family of vehicles: its config, naming, stay length and where/when it flew."""

    config_id: int
    names: tuple[str, ...]  # reusable vehicles cycle through these; else a numbered pattern
    pattern: str  # "{n}" is replaced by a counter
    stay_days: tuple[int, int]
    stations: dict[int, tuple[datetime, datetime | None]]
    weight: float


def _d(year: int, month: int) -> datetime:
    return datetime(year, month, 1, tzinfo=UTC)


# fmt: off
KINDS: tuple[Kind, ...] = (
    Kind(1, (), "Soyuz TM-{n}", (150, 200), {6: (_d(1987, 2), _d(2000, 6))}, 3),
    Kind(1, (), "Soyuz MS-{n}", (150, 200), {4: (_d(1998, 12), None)}, 3),
    Kind(2, (), "Progress M-{n}", (60, 190), {6: (_d(1987, 2), _d(2000, 6))}, 5),
    Kind(2, (), "Progress MS-{n}", (60, 190), {4: (_d(1998, 12), None)}, 4),
    Kind(3, ("Atlantis", "Discovery", "Endeavour"), "", (6, 12),
         {6: (_d(1995, 6), _d(1998, 6)), 4: (_d(1998, 12), _d(2011, 7))}, 2),
    Kind(11, (), "ATV-{n}", (120, 190), {4: (_d(2008, 4), _d(2014, 8))}, 0.5),
    Kind(10, (), "HTV-{n}", (30, 45), {4: (_d(2009, 9), _d(2020, 5))}, 0.5),
    Kind(4, ("Dragon C106", "Dragon C108", "Dragon C111", "Dragon C112", "Dragon C113"), "",
         (25, 35), {4: (_d(2012, 5), _d(2020, 3))}, 1),
    Kind(9, (), 'Cygnus NG-{n} "S.S. Astronaut {n}"', (30, 90), {4: (_d(2013, 9), None)}, 1),
    Kind(6, ("Crew Dragon Endeavour", "Crew Dragon Resilience", "Crew Dragon Endurance",
             "Crew Dragon Freedom, C212"), "", (120, 180), {4: (_d(2020, 5), None)}, 1.5),
    Kind(7, ("Cargo Dragon C208", "Cargo Dragon C209_reflown", "Cargo Dragon C211"), "",
         (30, 40), {4: (_d(2020, 12), None)}, 1),
    Kind(26, ("Starliner Calypso",), "", (7, 90), {4: (_d(2022, 5), _d(2024, 9))}, 0.2),
    Kind(18, (), "Shenzhou-{n}", (5, 190),
         {1: (_d(2011, 11), _d(2013, 6)), 2: (_d(2016, 10), _d(2017, 9)),
          18: (_d(2021, 5), None)}, 1),
    Kind(25, (), "Tianzhou-{n}", (150, 300),
         {2: (_d(2017, 4), _d(2017, 9)), 18: (_d(2021, 5), None)}, 1),
)
# fmt: on

_BY_CONFIG = {kind.config_id: kind for kind in KINDS}  # last kind per config: the modern one
#: Vehicles docked "now": a reused Crew Dragon first, so an open event shares its spacecraft.
OPEN_KINDS = tuple(_BY_CONFIG[c] for c in (6, 1, 18, 2, 25, 9, 7))
