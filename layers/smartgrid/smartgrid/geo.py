"""Assigning a house to a community: the nearest one with room, within a radius."""

from __future__ import annotations

import math
from collections.abc import Iterable

from smartgrid.models import Community, Location

EARTH_RADIUS_KM = 6371.0


def distance_km(a: Location, b: Location) -> float:
    """Great-circle distance (haversine)."""
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat = lat2 - lat1
    dlon = math.radians(b.lon - a.lon)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def nearest_with_room(
    where: Location, communities: Iterable[Community], radius_km: float
) -> Community | None:
    candidates = [
        (distance_km(where, c.location), c.communityId, c)
        for c in communities
        if c.members < c.capacity and distance_km(where, c.location) <= radius_km
    ]
    return min(candidates, key=lambda t: (t[0], t[1]))[2] if candidates else None
