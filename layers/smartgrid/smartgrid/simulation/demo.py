"""The demo fleet that `make run` loads: houses in a few towns, and two utility producers.

Pure and reproducible (a seeded generator): the bodies of `POST /sim/houses` and
`POST /sim/producers`. Houses are spread over towns about 10 houses each (up to five
towns; a town fills communities of the grid's capacity, 20 by default), within 3 km of the
town centre. Every house has a fridge, standby load, appliances with a household profile
(night base, morning and evening peaks) and lighting in the evening; some have an electric
water heater in the morning, some solar panels (they become local producers), some an EV
to charge (schedulable).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

HOUSES_PER_TOWN = 10
AVERAGE_HOUSE_W = 560.0  # about what a house of this fleet draws over a day (EVs aside)


@dataclass(frozen=True)
class Town:
    name: str
    lat: float
    lon: float


TOWNS = (
    Town("Lyon", 45.764, 4.836),
    Town("Grenoble", 45.188, 5.725),
    Town("Annecy", 45.899, 6.129),
    Town("Valence", 44.933, 4.892),
    Town("Chambery", 45.564, 5.917),
)


def towns_for(houses: int) -> int:
    return max(1, min(len(TOWNS), math.ceil(houses / HOUSES_PER_TOWN)))


def _place(town: Town, rng: random.Random) -> dict[str, float]:
    distance_km = 3 * math.sqrt(rng.random())
    bearing = rng.uniform(0, 2 * math.pi)
    lat = town.lat + distance_km / 111.2 * math.cos(bearing)
    lon = town.lon + distance_km / (111.2 * math.cos(math.radians(town.lat))) * math.sin(bearing)
    return {"lat": round(lat, 5), "lon": round(lon, 5)}


def _watts(rng: random.Random, low: float, high: float, step: float = 10) -> float:
    return float(round(rng.uniform(low, high) / step) * step)


def house_body(index: int, houses: int, rng: random.Random) -> dict[str, Any]:
    """The `POST /sim/houses` body of the index-th house of a fleet of `houses`."""
    town = TOWNS[index % towns_for(houses)]
    objects: list[dict[str, Any]] = [
        {"name": "fridge", "kind": "base", "powerW": _watts(rng, 80, 150)},
        {"name": "standby", "kind": "base", "powerW": _watts(rng, 20, 60)},
        {"name": "appliances", "kind": "appliance", "powerW": _watts(rng, 400, 900), "profile": "household"},
        {"name": "lighting", "kind": "appliance", "powerW": _watts(rng, 150, 400), "profile": "evening"},
    ]
    policies = ["consumption"] if rng.random() < 0.7 else []
    if rng.random() < 0.3:
        objects.append(
            {
                "name": "water heater",
                "kind": "appliance",
                "powerW": _watts(rng, 1200, 2400),
                "profile": "morning",
            }
        )
    if rng.random() < 0.2:
        objects.append(
            {
                "name": "solar panels",
                "kind": "producer",
                "powerW": _watts(rng, 2000, 6000, 100),
                "profile": "solar",
            }
        )
        policies.append("production")
    if rng.random() < 0.1:
        power = rng.choice((1300.0, 2000.0, 7400.0))  # the seed's cars, and a home charger
        objects.append(
            {"name": "ev", "kind": "schedulable", "powerW": power, "energyWh": power * rng.choice((2, 3, 5))}
        )
    if rng.random() < 0.2:
        policies.append("detailed")
    return {
        "name": f"{town.name} house {index // towns_for(houses) + 1}",
        "location": _place(town, rng),
        "acceptedPolicies": policies,
        "objects": objects,
    }


def demo_houses(houses: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [house_body(i, houses, rng) for i in range(houses)]


def demo_producers(houses: int) -> list[dict[str, Any]]:
    """Two utility producers, each starting at half the fleet's average draw, with room to follow."""
    if houses <= 0:
        return []
    start = round(houses * AVERAGE_HOUSE_W / 2, -2) or 1_000.0
    limit = max(10_000.0, round(houses * AVERAGE_HOUSE_W * 1.5, -3))
    return [
        {"name": "Rhone hydro", "productionLimitW": limit, "productionW": start},
        {"name": "Bugey thermal", "productionLimitW": limit, "productionW": start},
    ]
