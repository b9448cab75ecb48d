"""A simulated house with solar panels and a battery through the local runtime: over a day of
jumps and ticks its battery is charged by day from the surplus and drawn in the evening, every
state it reports is within capacity and rates, accepted by the grid, and the simulation's own."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from localcloud import LocalCloud
from localcloud.tap import TopicTap
from smartgrid.batteries import BatterySpec, State, reachable
from smartgrid.gridtime import iso, parse_instant
from smartgrid.models import Location
from smartgrid.simulation.house import ObjectSpec, SimBattery, SimHouse, SimObject, battery_states, simulate
from smartgrid.simulation.timeline import report_intervals
from smartgrid.units import wh_to_mwh
from tests.conftest import start_cloud
from tests.helpers import staff

START = datetime(2026, 3, 1, tzinfo=UTC)  # the clock's start in these tests (tests.conftest)
HOUSE = {
    "name": "Pierre & Marie",
    "location": {"lat": 45.76, "lon": 4.84},
    "objects": [
        {"name": "fridge", "kind": "base", "powerW": 200},
        {"name": "lighting", "kind": "appliance", "powerW": 800, "profile": "evening"},
        {"name": "solar panels", "kind": "producer", "powerW": 3000, "profile": "solar"},
    ],
    # Charged at most 1,000 W, drawn at most 400 W
    "battery": {"capacityWh": 5000, "maxChargeW": 1000, "maxDischargeW": 400},
}
SPEC = BatterySpec(capacity_mwh=5_000_000, max_charge_w=1000, max_discharge_w=400)


@pytest.fixture(scope="module")
def grid() -> Iterator[LocalCloud]:
    cloud = start_cloud()
    yield cloud
    cloud.stop()


def expected_states(moves: list[tuple[datetime, datetime]]) -> list[State]:
    """What the simulation says the battery holds at each reported instant, move by move."""
    house = SimHouse(
        houseId="h-x",
        name="x",
        location=Location(**HOUSE["location"]),
        token="t",
        objects=[SimObject.of(ObjectSpec.model_validate(o)) for o in HOUSE["objects"]],
        createdAt="x",
    )
    battery = SimBattery(
        batteryId="b-h-x",
        capacityMwh=5_000_000,
        maxChargeW=1000,
        maxDischargeW=400,
        initialMwh=0,
        installedAt=iso(START),
    )
    states = [State(START, 0)]
    for start, end in moves:
        readings, _ = simulate(house, {}, report_intervals(start, end, 1))
        states += battery_states(battery, states[-1].mwh, readings)
    return states


def test_a_battery_stores_the_days_surplus_and_is_drawn_in_the_evening(grid: LocalCloud) -> None:
    # Given a house with 3 kW of panels and a 5 kWh battery, empty, created at midnight
    published = TopicTap(grid, "BatteryStateTopic")
    house = staff(grid, "POST", "/sim/houses", HOUSE, 201)
    battery_id = house["battery"]["batteryId"]
    grid.drain()
    # When the day goes by: jumps (reported hour by hour) and ticks (tick by tick)
    staff(grid, "POST", "/clock/advance", {"ticks": 600})  # to 10:00
    grid.drain()
    grid.tick(15)  # to 10:15
    staff(grid, "POST", "/clock/advance", {"ticks": 705})  # to 22:00
    grid.drain()
    grid.tick(5)  # to 22:05
    now = START + timedelta(hours=22, minutes=5)
    assert staff(grid, "GET", "/clock")["now"] == iso(now)
    # Then the grid holds a state at every instant the house reported, exactly the simulation's
    ten, quarter_past = START + timedelta(hours=10), START + timedelta(hours=10, minutes=15)
    moves = [
        (START, ten),
        (ten, quarter_past),
        (quarter_past, START + timedelta(hours=22)),
        (START + timedelta(hours=22), now),
    ]
    expected = expected_states(moves)
    stored = staff(grid, "GET", f"/batteries/{battery_id}/states?from={iso(START)}&to={iso(now)}")["states"]
    assert [(s["timestamp"], wh_to_mwh(s["storedWh"])) for s in stored] == [
        (iso(s.at), s.mwh) for s in expected
    ]
    hourly = [iso(START + timedelta(hours=h)) for h in range(11)]
    assert [s["timestamp"] for s in stored][:11] == hourly
    assert len(stored) == 11 + 15 + 12 + 5  # 00:00-10:00 hourly, 15 ticks, 11:00-22:00 hourly, 5 ticks
    # And every state is within capacity and the rates of the one before
    states = [State(parse_instant(s["timestamp"]), wh_to_mwh(s["storedWh"])) for s in stored]
    for previous, state in itertools.pairwise(states):
        lowest, highest = reachable(SPEC, previous, state.at)
        assert lowest <= state.mwh <= highest, (previous, state)
    # And it was empty through the night, charged by day from the surplus, drawn in the evening
    by_time = {s.at.strftime("%H:%M"): s.mwh for s in states}
    assert by_time["06:00"] == 0
    assert by_time["10:00"] < by_time["10:15"] < by_time["13:00"]
    assert (
        by_time["12:00"] - by_time["11:00"] == 1_000_000
    )  # the noon surplus is over 1,000 W: only 1 kWh an hour
    assert max(by_time.values()) <= 5_000_000
    evening = [by_time[f"{h}:00"] for h in range(18, 23)]
    assert all(later < earlier for earlier, later in itertools.pairwise(evening))
    assert by_time["19:00"] - by_time["20:00"] == 400_000  # the evening deficit is over 400 W: drawn at 400 W
    # And every state was accepted once and published, the simulator agrees, and nothing failed
    events = published.events()
    assert sorted({(e["timestamp"], e["storedMwh"]) for e in events}) == [
        (iso(s.at), s.mwh) for s in expected
    ]
    seen: Any = staff(grid, "GET", f"/sim/houses/{house['houseId']}")["battery"]
    assert wh_to_mwh(seen["storedWh"]) == expected[-1].mwh
    shown = staff(grid, "GET", f"/batteries/{battery_id}")
    assert shown["latestState"] == {"timestamp": iso(now), "storedWh": seen["storedWh"]}
    assert sum(host.errors for host in grid.hosts.values()) == 0
    assert not any(grid.dead_letters().values())
    published.close()
