"""Shared value types: positions, money, bounding boxes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import strawberry

from app.core.errors import FieldProblem
from app.core.geo import LatLng, check_lat_lng, point_value, to_lat_lng


@strawberry.type
class GeoPoint:
    lat: float
    lng: float

    @classmethod
    def from_value(cls, value: Any) -> GeoPoint | None:
        point = to_lat_lng(value)
        return None if point is None else cls(lat=point.lat, lng=point.lng)


@strawberry.input
class GeoPointInput:
    lat: float
    lng: float

    def problems(self, field: str = "point") -> list[FieldProblem]:
        return check_lat_lng(self.lat, self.lng, field)

    def to_lat_lng(self) -> LatLng:
        return LatLng(self.lat, self.lng)

    def to_value(self) -> Any:
        return point_value(self.lat, self.lng)


@strawberry.input
class BBoxInput:
    south: float
    west: float
    north: float
    east: float


@strawberry.type
class Money:
    amount: Decimal
    currency: str

    @classmethod
    def of(cls, amount: Decimal | None, currency: str) -> Money | None:
        return None if amount is None else cls(amount=amount, currency=currency)


@strawberry.input
class MoneyInput:
    amount: Decimal
    currency: str
