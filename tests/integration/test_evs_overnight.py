"""Twenty cars plugged in at evening in one community, through the local runtime: their plans
make the night's load flat, a peak sheds them for an hour, and every car is still full by 07:00.

The grid ticks every 15 minutes from 18:00, its frames close two ticks late; its peak
threshold is raised to 100 kW so that only the oven switched on at 20:00 makes a peak.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from localcloud import LocalCloud
from smartgrid.gridtime import iso, parse_instant
from tests.conftest import start_cloud
from tests.helpers import staff

START = "2026-03-01T18:00:00Z"
DEADLINE = "2026-03-02T07:00:00Z"
CARS = 20
SHED_MINUTES = 60


@pytest.fixture(scope="module")
def grid() -> Iterator[LocalCloud]:
    cloud = start_cloud(
        LogLevel="ERROR",
        TickMinutes="15",
        ClockStart=START,
        PeakThresholdW="100000",
        SheddingMinutes=str(SHED_MINUTES),
        FrameDelayTicks="2",  # a frame closes 30 minutes late: a peak is still worth shedding
    )
    yield cloud
    cloud.stop()


def at(hours: float) -> str:
    return iso(parse_instant(START) + timedelta(hours=hours))


def car_energy_wh(n: int) -> float:
    return 12_000 + 1_000 * n  # 12 to 31 kWh


def energy_wh(slots: list[dict[str, Any]], start: str = "0", end: str = "9") -> float:
    return (
        sum(
            s["powerW"]
            * (parse_instant(min(s["end"], end)) - parse_instant(max(s["start"], start))).total_seconds()
            for s in slots
            if s["start"] < end and s["end"] > start
        )
        / 3600
    )


def cars_power_w(plans: list[dict[str, Any]], start: str, end: str) -> float:
    """The cars' mean power over [start, end)."""
    hours = (parse_instant(end) - parse_instant(start)).total_seconds() / 3600
    return sum(energy_wh(p["slots"], start, end) for p in plans) / hours


def night_plans(grid: LocalCloud, community: str) -> list[dict[str, Any]]:
    plans: dict[str, dict[str, Any]] = {}
    for day in ("2026-03-01", "2026-03-02"):
        for plan in staff(grid, "GET", f"/communities/{community}/schedule?date={day}")["plans"]:
            plans[plan["houseId"]] = plan
    return list(plans.values())


def test_twenty_cars_charge_flat_overnight_and_still_finish_after_a_peak_sheds_them(grid: LocalCloud) -> None:
    # Given twenty houses of one community (300 W each), each with a car plugged in at 18:00
    # that wants 12 to 31 kWh at 7.4 kW by 07:00
    houses = []
    for n in range(CARS):
        objects = [
            {"name": "base", "kind": "base", "powerW": 300},
            {
                "name": "car",
                "kind": "schedulable",
                "powerW": 7400,
                "energyWh": car_energy_wh(n),
                "deadline": DEADLINE,
            },
        ]
        body = {
            "name": f"house {n}",
            "location": {"lat": 45.76 + 0.0005 * n, "lon": 4.84},
            "objects": objects,
        }
        houses.append(staff(grid, "POST", "/sim/houses", body, 201)["houseId"])
    # and a utility producer with room to follow them (no shortfall sheds them)
    staff(
        grid,
        "POST",
        "/sim/producers",
        {"name": "Nikola", "productionW": 40_000, "productionLimitW": 300_000},
        201,
    )
    grid.drain()
    (community,) = {staff(grid, "GET", f"/houses/{h}")["communityId"] for h in houses}
    # When the clock ticks to 20:00 (each car asked its plan at its first report)
    grid.tick(8)
    # Then every car is planned to be full by 07:00, and the cars' load is flat over the night
    plans = night_plans(grid, community)
    assert len(plans) == CARS and not any(p["late"] for p in plans)
    assert all(p["finishesAt"] <= DEADLINE for p in plans)
    quarters = [cars_power_w(plans, at(q / 4), at(q / 4 + 0.25)) for q in range(1, 52)]  # 18:15 to 07:00
    total_wh = sum(car_energy_wh(n) for n in range(CARS))
    assert max(quarters) - min(quarters) <= 0.01 * max(quarters)
    assert max(quarters) == pytest.approx(total_wh / 12.75, rel=0.01)  # all of it, spread over 12 h 45
    # When an oven of 100 kW is on from 20:00 to 20:15 in one house: the community peaks
    staff(
        grid,
        "POST",
        f"/sim/houses/{houses[0]}/objects",
        {"name": "oven", "kind": "appliance", "powerW": 100_000},
        201,
    )
    grid.tick(1)
    staff(grid, "PATCH", f"/sim/houses/{houses[0]}/objects/oven", {"enabled": False})
    grid.tick(7)  # the frame closes a few ticks late, and is shed on that move
    # Then the peak shed the cars for an hour, and none draws in it
    peaks = staff(grid, "GET", f"/communities/{community}/peaks")["peaks"]
    assert [p["frameStart"] for p in peaks] == [at(2)]
    shed = peaks[0]["shed"]
    assert {o["houseId"] for o in shed["objects"]} == set(houses)
    plans = night_plans(grid, community)
    assert all(energy_wh(p["slots"], shed["start"], shed["until"]) == 0 for p in plans)
    # And after the shedding they flatten again over what is left, every one still on time
    assert not any(p["late"] for p in plans) and all(p["finishesAt"] <= DEADLINE for p in plans)
    # When the night passes
    grid.tick(int((parse_instant(DEADLINE) - parse_instant(at(4))).total_seconds() // 900) + 1)
    # Then each car drew exactly its energy by 07:00, as its house reported it
    for n, house in enumerate(houses):
        drawn = sum(
            staff(grid, "GET", f"/houses/{house}/consumption?date={day}")["objects"].get("car", 0)
            for day in ("2026-03-01", "2026-03-02")
        )
        assert drawn == pytest.approx(car_energy_wh(n), abs=0.001), house
