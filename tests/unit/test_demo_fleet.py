"""The demo fleet of `make run`: valid, reproducible, realistic bodies for the simulators' API."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from smartgrid.geo import distance_km
from smartgrid.models import Location
from smartgrid.simulation.demo import AVERAGE_HOUSE_W, TOWNS, demo_houses, demo_producers, towns_for
from smartgrid.simulation.house import ObjectKind, SimHouse, SimObject, energy_mwh
from smartgrid.simulation.houses import HouseRequest
from smartgrid.simulation.producer import ProducerSpec
from smartgrid.simulation.timeline import Interval


def test_every_body_is_a_valid_request_and_the_fleet_is_reproducible() -> None:
    bodies = demo_houses(200)
    requests = [HouseRequest.model_validate(body) for body in bodies]
    assert len(requests) == 200
    assert demo_houses(200) == bodies
    assert [ProducerSpec.model_validate(p) for p in demo_producers(200)]


def test_thirty_houses_live_in_three_towns_of_ten() -> None:
    # Given the default fleet / Then three towns, ten houses each, within 3 km of the centre
    bodies = demo_houses(30)
    assert towns_for(30) == 3
    towns = Counter(body["name"].split(" house ")[0] for body in bodies)
    assert towns == {"Lyon": 10, "Grenoble": 10, "Annecy": 10}
    for body in bodies:
        town = next(t for t in TOWNS if body["name"].startswith(t.name))
        assert distance_km(Location(**body["location"]), Location(lat=town.lat, lon=town.lon)) <= 3.01


def test_a_large_fleet_uses_every_town_and_mixes_objects() -> None:
    bodies = demo_houses(1000)
    assert towns_for(1000) == len(TOWNS)
    kinds = Counter(o["kind"] for body in bodies for o in body["objects"])
    solar = sum(any(o["kind"] == "producer" for o in body["objects"]) for body in bodies)
    assert kinds["base"] == 2000 and kinds["appliance"] >= 2000
    assert 120 <= solar <= 280  # about one house in five has panels
    assert 50 <= kinds["schedulable"] <= 150


def test_a_fleet_draws_about_its_announced_average_and_producers_start_near_it() -> None:
    # Given the fleet's houses over a day in March, in hourly steps
    houses = [
        SimHouse(
            houseId=f"h-{n}",
            name=b["name"],
            location=Location(**b["location"]),
            token="t",
            objects=[SimObject.model_validate(o) for o in b["objects"] if o["kind"] in ("base", "appliance")],
            createdAt="2026-03-01T00:00:00Z",
        )
        for n, b in enumerate(demo_houses(100))
    ]
    start = datetime(2026, 3, 1, tzinfo=UTC)
    day_mwh = sum(
        energy_mwh(o, Interval(start + timedelta(hours=h), 60), house.location)
        for house in houses
        for o in house.objects
        for h in range(24)
    )
    mean_w = day_mwh / 1000 / 24 / len(houses)
    # Then the mean draw is near the figure the producers are sized on
    assert 0.8 * AVERAGE_HOUSE_W <= mean_w <= 1.2 * AVERAGE_HOUSE_W
    producers = demo_producers(100)
    assert sum(p["productionW"] for p in producers) == 100 * AVERAGE_HOUSE_W
    assert all(p["productionLimitW"] > p["productionW"] for p in producers)
    assert all(o.kind is not ObjectKind.PRODUCER for h in houses for o in h.objects)


def test_no_houses_no_producers() -> None:
    assert demo_houses(0) == [] and demo_producers(0) == []
