"""Points and areas between the API's lat/lng, shapely and PostGIS."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

from geoalchemy2.elements import WKBElement, WKTElement
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import MultiPolygon, Point, Polygon, mapping, shape
from shapely.validation import explain_validity

from app.core.errors import DomainError, ErrorCode, FieldProblem


@dataclass(frozen=True, slots=True)
class LatLng:
    lat: float
    lng: float


def check_lat_lng(lat: float, lng: float, field: str = "point") -> list[FieldProblem]:
    problems = []
    if not -90.0 <= lat <= 90.0:
        problems.append(
            FieldProblem("latitude must be within -90..90", ErrorCode.INVALID, [field, "lat"])
        )
    if not -180.0 <= lng <= 180.0:
        problems.append(
            FieldProblem("longitude must be within -180..180", ErrorCode.INVALID, [field, "lng"])
        )
    return problems


def point_value(lat: float, lng: float) -> WKTElement:
    """A value for a geography(POINT, 4326) column or a query parameter."""
    return WKTElement(f"POINT({lng} {lat})", srid=4326, extended=False)


def to_lat_lng(value: Any) -> LatLng | None:
    if value is None:
        return None
    if isinstance(value, WKBElement):
        fast = _wkb_point(value.data)
        if fast is not None:
            return fast
    point = to_shape(value) if isinstance(value, WKBElement | WKTElement) else value
    return LatLng(lat=point.y, lng=point.x)


_EWKB_SRID = 0x20000000
_EWKB_Z_OR_M = 0xC0000000


def _wkb_point(data: Any) -> LatLng | None:
    """A 2D point read straight from its (E)WKB, as PostGIS returns every location column:
    ten times cheaper than building a shapely geometry for two floats. None for anything
    else, which takes the shapely path."""
    if isinstance(data, str):
        try:
            data = bytes.fromhex(data)
        except ValueError:
            return None
    if not isinstance(data, bytes | memoryview) or len(data) not in (21, 25):
        return None
    order = "<" if data[0] == 1 else ">"
    (kind,) = struct.unpack_from(order + "I", data, 1)
    if kind & 0xFFFF != 1 or kind & _EWKB_Z_OR_M:
        return None
    offset = 9 if kind & _EWKB_SRID else 5
    if offset + 16 != len(data):
        return None
    x, y = struct.unpack_from(order + "dd", data, offset)
    return LatLng(lat=y, lng=x)


def area_value(geojson: dict[str, Any], field: str = "area") -> WKBElement:
    """A GeoJSON Polygon/MultiPolygon as a valid MULTIPOLYGON value, or an INVALID error."""
    try:
        geometry = shape(geojson)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise DomainError(f"not a GeoJSON geometry: {exc}", ErrorCode.INVALID, [field]) from exc
    if isinstance(geometry, Polygon):
        geometry = MultiPolygon([geometry])
    if not isinstance(geometry, MultiPolygon):
        raise DomainError("the area must be a Polygon or MultiPolygon", ErrorCode.INVALID, [field])
    if not geometry.is_valid:
        raise DomainError(f"invalid area: {explain_validity(geometry)}", ErrorCode.INVALID, [field])
    return from_shape(geometry, srid=4326)


def to_geojson(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    return dict(mapping(to_shape(value)))


__all__ = [
    "LatLng",
    "Point",
    "area_value",
    "check_lat_lng",
    "point_value",
    "to_geojson",
    "to_lat_lng",
]
