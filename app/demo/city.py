"""Bengaluru's geography for the demo city: neighbourhoods, territories, lakes, streets, holidays.

Coordinates are WGS84 (lat, lng) of real neighbourhood centroids, rounded to about 100 m. The
three territories are simple polygons that share their edges, so together they tile the city
without overlapping; lakes are rough ellipses that scattered sites must avoid.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property

from shapely.geometry import MultiPolygon, Point, Polygon
from shapely.ops import unary_union

CITY = "Bengaluru"
COUNTRY = "IN"
TIME_ZONE = "Asia/Kolkata"
CURRENCY = "INR"


@dataclass(frozen=True, slots=True)
class Neighbourhood:
    name: str
    lat: float
    lng: float
    pin: str
    weight: int = 3
    """How many customers live here relative to the others (dense, central areas weigh more)."""
    style: str = "block"
    """How local addresses name the area: `block`, `stage`, `phase`, `sector`, or just the name."""
    roads: tuple[str, ...] = ()
    spread_m: float = 900.0
    """Standard deviation of the scatter around the centroid, in metres."""


NEIGHBOURHOODS: tuple[Neighbourhood, ...] = (
    # North
    Neighbourhood("Malleshwaram", 13.0031, 77.5643, "560003", 4, "cross",
                  ("Sampige Road", "Margosa Road", "8th Cross Road"), 700),
    Neighbourhood("Sadashivanagar", 13.0068, 77.5813, "560080", 2, "cross",
                  ("Sankey Road", "Palace Road"), 600),
    Neighbourhood("Hebbal", 13.0358, 77.5970, "560024", 3, "layout",
                  ("Bellary Road", "Outer Ring Road"), 800),
    Neighbourhood("RT Nagar", 13.0220, 77.5950, "560032", 3, "block",
                  ("CBI Main Road", "Ganganagar Main Road"), 700),
    Neighbourhood("Yelahanka New Town", 13.1007, 77.5963, "560064", 4, "sector",
                  ("Doddaballapur Road", "Yelahanka Main Road"), 1200),
    Neighbourhood("Sahakar Nagar", 13.0621, 77.5862, "560092", 3, "block",
                  ("Sahakar Nagar Main Road", "Kodigehalli Road"), 700),
    Neighbourhood("Vidyaranyapura", 13.0785, 77.5580, "560097", 2, "block",
                  ("Vidyaranyapura Main Road", "MS Palya Road"), 800),
    Neighbourhood("Jalahalli", 13.0460, 77.5480, "560013", 2, "cross",
                  ("HMT Main Road", "Jalahalli Main Road"), 800),
    Neighbourhood("Yeshwanthpur", 13.0280, 77.5409, "560022", 3, "cross",
                  ("Tumkur Road", "Yeshwanthpur Circle Road"), 700),
    Neighbourhood("Peenya", 13.0329, 77.5273, "560058", 2, "phase",
                  ("Tumkur Road", "Peenya Industrial Area Road"), 900),
    Neighbourhood("Thanisandra", 13.0546, 77.6336, "560077", 3, "layout",
                  ("Thanisandra Main Road", "Hegde Nagar Main Road"), 900),
    Neighbourhood("Hennur", 13.0300, 77.6400, "560043", 3, "cross",
                  ("Hennur Main Road", "Hennur Bagalur Road"), 800),
    Neighbourhood("Banaswadi", 13.0104, 77.6482, "560043", 3, "cross",
                  ("Banaswadi Main Road", "Outer Ring Road"), 700),
    Neighbourhood("Frazer Town", 12.9982, 77.6150, "560005", 2, "cross",
                  ("Mosque Road", "Coles Road", "Wheeler Road"), 500),
    Neighbourhood("Shivajinagar", 12.9857, 77.6057, "560051", 2, "cross",
                  ("Commercial Street", "Infantry Road", "Cunningham Road"), 450),
    Neighbourhood("KR Puram", 13.0075, 77.6959, "560036", 3, "cross",
                  ("Old Madras Road", "TC Palya Road"), 900),
    # South-East
    Neighbourhood("Indiranagar", 12.9784, 77.6408, "560038", 5, "stage",
                  ("100 Feet Road", "12th Main Road", "CMH Road", "Double Road"), 700),
    Neighbourhood("Ulsoor", 12.9780, 77.6250, "560008", 2, "cross",
                  ("Ulsoor Road", "Kensington Road", "Old Madras Road"), 400),
    Neighbourhood("Domlur", 12.9609, 77.6387, "560071", 2, "stage",
                  ("Old Airport Road", "Domlur Inner Ring Road"), 500),
    Neighbourhood("Koramangala", 12.9352, 77.6245, "560034", 6, "block",
                  ("80 Feet Road", "100 Feet Road", "Sarjapur Road", "Hosur Road"), 900),
    Neighbourhood("BTM Layout", 12.9166, 77.6101, "560076", 4, "stage",
                  ("BTM Main Road", "Outer Ring Road", "Bannerghatta Road"), 700),
    Neighbourhood("HSR Layout", 12.9121, 77.6446, "560102", 5, "sector",
                  ("27th Main Road", "14th Main Road", "Outer Ring Road"), 800),
    Neighbourhood("Bellandur", 12.9260, 77.6800, "560103", 4, "layout",
                  ("Outer Ring Road", "Sarjapur Road", "Bellandur Main Road"), 700),
    Neighbourhood("Marathahalli", 12.9569, 77.7011, "560037", 4, "layout",
                  ("Outer Ring Road", "Old Airport Road", "Varthur Road"), 800),
    Neighbourhood("Mahadevapura", 12.9899, 77.6974, "560048", 3, "layout",
                  ("Whitefield Main Road", "Outer Ring Road"), 800),
    Neighbourhood("Whitefield", 12.9698, 77.7500, "560066", 6, "phase",
                  ("Whitefield Main Road", "ITPL Main Road", "Varthur Road"), 1300),
    Neighbourhood("Sarjapur Road", 12.9100, 77.6850, "560035", 4, "layout",
                  ("Sarjapur Road", "Kaikondrahalli Main Road", "Doddakannelli Road"), 1000),
    Neighbourhood("Bommanahalli", 12.9010, 77.6240, "560068", 3, "cross",
                  ("Hosur Road", "Begur Road"), 700),
    Neighbourhood("Electronic City", 12.8452, 77.6602, "560100", 5, "phase",
                  ("Hosur Road", "Neeladri Road", "Velankani Drive"), 1300),
    # West
    Neighbourhood("Rajajinagar", 12.9900, 77.5525, "560010", 4, "block",
                  ("Dr Rajkumar Road", "West of Chord Road", "Chord Road"), 700),
    Neighbourhood("Basaveshwaranagar", 12.9866, 77.5400, "560079", 3, "stage",
                  ("Basaveshwaranagar Main Road", "West of Chord Road"), 700),
    Neighbourhood("Vijayanagar", 12.9700, 77.5373, "560040", 4, "stage",
                  ("Magadi Road", "Vijayanagar Main Road", "Chord Road"), 800),
    Neighbourhood("Nagarbhavi", 12.9600, 77.5110, "560072", 3, "stage",
                  ("Nagarbhavi Main Road", "Outer Ring Road"), 900),
    Neighbourhood("Rajarajeshwari Nagar", 12.9274, 77.5155, "560098", 4, "stage",
                  ("Mysore Road", "Ideal Homes Main Road"), 1000),
    Neighbourhood("Kengeri Satellite Town", 12.9177, 77.4838, "560060", 3, "sector",
                  ("Mysore Road", "Kengeri Main Road"), 1000),
    Neighbourhood("Basavanagudi", 12.9406, 77.5738, "560004", 3, "cross",
                  ("Gandhi Bazaar Main Road", "DVG Road", "Bull Temple Road"), 600),
    Neighbourhood("Jayanagar", 12.9299, 77.5826, "560041", 5, "block",
                  ("11th Main Road", "30th Cross Road", "South End Road"), 700),
    Neighbourhood("JP Nagar", 12.9063, 77.5857, "560078", 5, "phase",
                  ("24th Main Road", "Outer Ring Road", "Bannerghatta Road"), 900),
    Neighbourhood("Banashankari", 12.9255, 77.5468, "560070", 4, "stage",
                  ("Kanakapura Road", "Outer Ring Road", "80 Feet Road"), 900),
    Neighbourhood("Kumaraswamy Layout", 12.9050, 77.5630, "560078", 3, "stage",
                  ("Kumaraswamy Layout Main Road", "Outer Ring Road"), 700),
    Neighbourhood("Uttarahalli", 12.9060, 77.5420, "560061", 2, "layout",
                  ("Uttarahalli Main Road", "Kengeri Uttarahalli Road"), 800),
    Neighbourhood("Wilson Garden", 12.9489, 77.5968, "560027", 2, "cross",
                  ("Hosur Road", "Lalbagh Road"), 450),
)  # fmt: skip


# --- territories ---------------------------------------------------------------------------
# The city outline as (lng, lat) vertices, clockwise from the south-west. Three spokes from the
# centre split it: to the west vertex, the east vertex and the south vertex of the outline.
CENTRE = (77.600, 12.980)
OUTLINE: tuple[tuple[float, float], ...] = (
    (77.440, 12.880),
    (77.440, 13.030),  # west spoke
    (77.470, 13.100),
    (77.530, 13.150),
    (77.620, 13.150),
    (77.700, 13.100),
    (77.790, 13.050),
    (77.800, 13.020),  # east spoke
    (77.810, 12.950),
    (77.780, 12.870),
    (77.700, 12.810),
    (77.600, 12.820),  # south spoke
    (77.520, 12.840),
    (77.470, 12.860),
)
_WEST, _EAST, _SOUTH = 1, 7, 11


@dataclass(frozen=True, slots=True)
class TerritoryShape:
    code: str
    name: str
    polygon: Polygon

    def wkt(self) -> str:
        return MultiPolygon([self.polygon]).wkt


def _wedge(start: int, end: int) -> Polygon:
    """The polygon from the centre along the outline from vertex `start` to vertex `end`."""
    ring = [CENTRE]
    index = start
    while True:
        ring.append(OUTLINE[index])
        if index == end:
            break
        index = (index + 1) % len(OUTLINE)
    return Polygon([*ring, CENTRE])


TERRITORIES: tuple[TerritoryShape, ...] = (
    TerritoryShape("BLR-N", "North Bengaluru", _wedge(_WEST, _EAST)),
    TerritoryShape("BLR-SE", "South-East Bengaluru", _wedge(_EAST, _SOUTH)),
    TerritoryShape("BLR-W", "West Bengaluru", _wedge(_SOUTH, _WEST)),
)
CITY_AREA: Polygon = Polygon(OUTLINE)


@dataclass(frozen=True, slots=True)
class Lake:
    name: str
    lat: float
    lng: float
    radius_lat_m: float
    radius_lng_m: float

    def contains(self, lat: float, lng: float) -> bool:
        dy = (lat - self.lat) * 111_320.0 / self.radius_lat_m
        dx = (lng - self.lng) * 111_320.0 * math.cos(math.radians(self.lat)) / self.radius_lng_m
        return dx * dx + dy * dy <= 1.0


LAKES: tuple[Lake, ...] = (
    Lake("Bellandur Lake", 12.9350, 77.6620, 900, 1400),
    Lake("Varthur Lake", 12.9440, 77.7420, 700, 500),
    Lake("Hebbal Lake", 13.0460, 77.5880, 450, 450),
    Lake("Ulsoor Lake", 12.9830, 77.6200, 400, 350),
    Lake("Madiwala Lake", 12.9100, 77.6170, 500, 450),
    Lake("Agara Lake", 12.9230, 77.6390, 350, 300),
    Lake("Sankey Tank", 13.0090, 77.5740, 250, 300),
    Lake("Yelahanka Lake", 13.0930, 77.5830, 450, 450),
)


@dataclass
class Geography:
    """Validated shapes and a fast `territory_of` lookup (the polygons are prepared once)."""

    territories: tuple[TerritoryShape, ...] = TERRITORIES
    lakes: tuple[Lake, ...] = LAKES
    _prepared: list[tuple[str, object]] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        from shapely.prepared import prep

        self._prepared = [(t.code, prep(t.polygon)) for t in self.territories]

    @cached_property
    def area(self) -> Polygon:
        merged = unary_union([t.polygon for t in self.territories])
        assert isinstance(merged, Polygon)
        return merged

    def territory_of(self, lat: float, lng: float) -> str | None:
        point = Point(lng, lat)
        for code, prepared in self._prepared:
            if prepared.contains(point):  # type: ignore[attr-defined]
                return code
        return None

    def on_land(self, lat: float, lng: float) -> bool:
        return not any(lake.contains(lat, lng) for lake in self.lakes)

    def problems(self) -> list[str]:
        """What is wrong with the shapes: invalid polygons, overlaps, centroids outside."""
        found = [
            f"{t.code} is not a valid polygon" for t in self.territories if not t.polygon.is_valid
        ]
        for i, a in enumerate(self.territories):
            for b in self.territories[i + 1 :]:
                if a.polygon.intersection(b.polygon).area > 1e-12:
                    found.append(f"{a.code} overlaps {b.code}")
        total = sum(t.polygon.area for t in self.territories)
        if abs(total - CITY_AREA.area) > 1e-9:
            found.append("the territories do not tile the city outline")
        found += [
            f"{n.name} lies outside every territory"
            for n in NEIGHBOURHOODS
            if self.territory_of(n.lat, n.lng) is None
        ]
        return found


def scatter(
    rng: random.Random, geography: Geography, hood: Neighbourhood, spread: float = 1.0
) -> tuple[float, float, str]:
    """A point near the neighbourhood's centroid, on land and inside a territory."""
    metres_per_lng = 111_320.0 * math.cos(math.radians(hood.lat))
    for _ in range(100):
        north = max(-2.5, min(2.5, rng.gauss(0.0, 1.0))) * hood.spread_m * spread
        east = max(-2.5, min(2.5, rng.gauss(0.0, 1.0))) * hood.spread_m * spread
        lat = round(hood.lat + north / 111_320.0, 6)
        lng = round(hood.lng + east / metres_per_lng, 6)
        territory = geography.territory_of(lat, lng)
        if territory is not None and geography.on_land(lat, lng):
            return lat, lng, territory
    territory = geography.territory_of(hood.lat, hood.lng)
    assert territory is not None, hood.name
    return hood.lat, hood.lng, territory


# --- streets -------------------------------------------------------------------------------

APARTMENTS = (
    "Prestige", "Brigade", "Sobha", "Purva", "Salarpuria", "Mantri", "Shriram", "Godrej",
    "Embassy", "Adarsh", "Sattva", "Ajmera", "Nitesh", "Provident", "Ozone", "Vaswani",
)  # fmt: skip
APARTMENT_SUFFIXES = (
    "Lakeside", "Residency", "Heights", "Gardens", "Meadows", "Enclave", "Paradise", "Greens",
    "Palm Retreat", "Sunrise", "Springfields", "Woods", "Towers", "Serenity",
)  # fmt: skip


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def address(rng: random.Random, hood: Neighbourhood, business: bool) -> str:
    """An address line in the local pattern: door number, cross, main, block/stage, area."""
    area = _area_part(rng, hood)
    if not business and rng.random() < 0.35:
        tower = rng.choice("ABCDEFGH")
        flat = f"{rng.randint(1, 18)}{rng.randint(1, 12):02d}"
        project = f"{rng.choice(APARTMENTS)} {rng.choice(APARTMENT_SUFFIXES)}"
        road = rng.choice(hood.roads) if hood.roads else f"{ordinal(rng.randint(1, 20))} Main Road"
        return f"Flat {tower}-{flat}, {project}, {road}, {area}"
    door = f"{rng.randint(1, 980)}{rng.choice(['', '', '', '/A', '/1', '/B'])}"
    if business and hood.roads and rng.random() < 0.6:
        return f"No. {door}, {rng.choice(hood.roads)}, {area}"
    cross = ordinal(rng.randint(1, 18))
    main = ordinal(rng.randint(1, 14))
    return f"No. {door}, {cross} Cross, {main} Main, {area}"


def _area_part(rng: random.Random, hood: Neighbourhood) -> str:
    match hood.style:
        case "block":
            return f"{ordinal(rng.randint(1, 8))} Block, {hood.name}"
        case "stage":
            return f"{ordinal(rng.randint(1, 3))} Stage, {hood.name}"
        case "phase":
            return f"Phase {rng.randint(1, 3)}, {hood.name}"
        case "sector":
            return f"Sector {rng.randint(1, 7)}, {hood.name}"
        case _:
            return hood.name


# --- holidays ------------------------------------------------------------------------------

_FIXED: tuple[tuple[int, int, str], ...] = (
    (1, 26, "Republic Day"),
    (5, 1, "May Day"),
    (8, 15, "Independence Day"),
    (10, 2, "Gandhi Jayanti"),
    (11, 1, "Kannada Rajyotsava"),
    (12, 25, "Christmas"),
)
# Festivals that follow the lunar calendar, as listed by the Government of Karnataka.
_MOVABLE: dict[int, tuple[tuple[int, int, str], ...]] = {
    2025: (
        (1, 14, "Makara Sankranti"),
        (3, 30, "Ugadi"),
        (8, 27, "Ganesh Chaturthi"),
        (10, 1, "Ayudha Pooja"),
        (10, 20, "Naraka Chaturdashi"),
        (10, 22, "Balipadyami, Deepavali"),
    ),
    2026: (
        (1, 15, "Makara Sankranti"),
        (3, 19, "Ugadi"),
        (9, 14, "Ganesh Chaturthi"),
        (10, 20, "Vijayadashami"),
        (11, 10, "Balipadyami, Deepavali"),
    ),
    2027: (
        (1, 15, "Makara Sankranti"),
        (4, 7, "Ugadi"),
        (9, 4, "Ganesh Chaturthi"),
        (10, 9, "Vijayadashami"),
        (10, 29, "Deepavali"),
    ),
}


def easter(year: int) -> date:
    """Gregorian Easter Sunday (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return date(year, month, day + 1)


def holidays(year: int) -> list[tuple[date, str]]:
    """Karnataka public holidays of `year`: fixed dates, Good Friday and the known festivals."""
    days: dict[date, str] = {date(year, m, d): name for m, d, name in _FIXED}
    days[easter(year) - timedelta(days=2)] = "Good Friday"
    for m, d, name in _MOVABLE.get(year, ()):
        day = date(year, m, d)
        days[day] = f"{days[day]}, {name}" if day in days else name
    return sorted(days.items())
