"""Shared value types: positions, money, bounding boxes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import strawberry

from app.core.errors import FieldProblem
from app.core.geo import LatLng, check_lat_lng, point_value, to_lat_lng


@strawberry.type(description="A position on Earth, in WGS84 decimal degrees.")
class GeoPoint:
    lat: float = strawberry.field(description="Latitude in degrees, -90 (south) to 90 (north).")
    lng: float = strawberry.field(description="Longitude in degrees, -180 (west) to 180 (east).")

    @classmethod
    def from_value(cls, value: Any) -> GeoPoint | None:
        point = to_lat_lng(value)
        return None if point is None else cls(lat=point.lat, lng=point.lng)


@strawberry.input(description="A position on Earth, in WGS84 decimal degrees.")
class GeoPointInput:
    lat: float = strawberry.field(
        description="Latitude in degrees, -90 to 90; outside it is refused with INVALID."
    )
    lng: float = strawberry.field(
        description="Longitude in degrees, -180 to 180; outside it is refused with INVALID."
    )

    def problems(self, field: str = "point") -> list[FieldProblem]:
        return check_lat_lng(self.lat, self.lng, field)

    def to_lat_lng(self) -> LatLng:
        return LatLng(self.lat, self.lng)

    def to_value(self) -> Any:
        return point_value(self.lat, self.lng)


@strawberry.input(
    description=(
        "A latitude/longitude box in WGS84 degrees; west greater than east means the box "
        "crosses the antimeridian."
    )
)
class BBoxInput:
    south: float = strawberry.field(
        description="Southern edge latitude, -90 to 90 and not above north."
    )
    west: float = strawberry.field(description="Western edge longitude, -180 to 180.")
    north: float = strawberry.field(
        description="Northern edge latitude, -90 to 90 and not below south."
    )
    east: float = strawberry.field(description="Eastern edge longitude, -180 to 180.")


@strawberry.type(description="An amount of money in one currency.")
class Money:
    amount: Decimal = strawberry.field(
        description=(
            "The amount in the currency's main unit (rupees for INR, not paise), as a decimal "
            "string."
        )
    )
    currency: str = strawberry.field(description="ISO 4217 currency code, e.g. INR.")

    @classmethod
    def of(cls, amount: Decimal | None, currency: str) -> Money | None:
        return None if amount is None else cls(amount=amount, currency=currency)


@strawberry.input(description="An amount of money in one currency.")
class MoneyInput:
    amount: Decimal = strawberry.field(
        description=(
            "The amount in the currency's main unit (rupees for INR, not paise), as a decimal "
            'string such as "1499.50": not negative, at most 2 decimals.'
        )
    )
    currency: str = strawberry.field(description="ISO 4217 currency code in capitals, e.g. INR.")
