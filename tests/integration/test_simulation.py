"""The simulated grid through the local runtime: houses and producers created through the API,
reporting through the head-end on every move of the clock, read back from the grid's stores.

Each class runs its own grid (moto's state is process-wide: one grid at a time), so the
fleets and clocks of one never touch another's.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import pytest

from localcloud import LocalCloud
from localcloud.demo import DemoFleet
from smartgrid.gridclient import GridClient, api_url
from smartgrid.gridtime import iso, parse_instant
from smartgrid.models import Location
from smartgrid.schedules import PlanSlot
from smartgrid.simulation.house import ObjectSchedule, ObjectSpec, SimHouse, SimObject, simulate
from smartgrid.simulation.timeline import Interval, report_intervals
from smartgrid.units import mwh_to_wh, watts_over_minutes_mwh
from tests.conftest import item_count, start_cloud
from tests.functions.support import TopicProbe
from tests.helpers import staff

START = datetime(2026, 3, 1, tzinfo=UTC)  # the clock's start in these tests (tests.conftest)
DAY = "2026-03-01"
FRAME_DELAY = 5  # FrameDelayTicks, the template's default


@pytest.fixture(scope="class")
def grid() -> Iterator[LocalCloud]:
    cloud = start_cloud()
    yield cloud
    cloud.stop()


def fleet_house(n: int) -> dict[str, Any]:
    """A few kinds of houses: flat loads, a profiled appliance, a car to charge, panels."""
    objects: list[dict[str, Any]] = [
        {"name": "fridge", "kind": "base", "powerW": 100 + 10 * n},
        {"name": "appliances", "kind": "appliance", "powerW": 700, "profile": "household"},
    ]
    if n % 2 == 0:
        # wanted by 00:06: planned flat from its first report (00:01) to then
        deadline = iso(START + timedelta(minutes=6))
        objects.append(
            {"name": "car", "kind": "schedulable", "powerW": 7400, "energyWh": 500, "deadline": deadline}
        )
    if n % 3 == 0:
        objects.append({"name": "solar panels", "kind": "producer", "powerW": 4000, "profile": "solar"})
    return {"name": f"house {n}", "location": {"lat": 45.76 + 0.01 * n, "lon": 4.84}, "objects": objects}


def schedules_of(cloud: LocalCloud, house_id: str, body: dict[str, Any]) -> dict[str, ObjectSchedule]:
    """The plans of the house's schedulable objects: a plan keeps what ran (a shedding moves
    only what is still to come), so the final plan is what the object drew."""
    found: dict[str, ObjectSchedule] = {}
    for obj in body["objects"]:
        if obj["kind"] == "schedulable":
            plan = staff(cloud, "GET", f"/houses/{house_id}/objects/{obj['name']}/schedule")
            slots = tuple(PlanSlot.model_validate(s).slot() for s in plan["slots"])
            found[obj["name"]] = ObjectSchedule(slots, parse_instant(plan["finishesAt"]))
    return found


def expected_day_mwh(
    body: dict[str, Any], intervals: list[Interval], schedules: dict[str, ObjectSchedule] | None = None
) -> tuple[int, int]:
    """What the simulation says the house consumed and produced over the intervals."""
    house = SimHouse(
        houseId="h-x",
        name=body["name"],
        location=Location(**body["location"]),
        token="t",
        objects=[SimObject.of(ObjectSpec.model_validate(o)) for o in body["objects"]],
        createdAt="x",
    )
    readings, _ = simulate(house, {}, intervals, schedules)
    return sum(sum(r.objects.values()) for r in readings), sum(r.production_mwh for r in readings)


class TestAFleetOverTicks:
    def test_stored_daily_totals_match_the_simulation_exactly(self, grid: LocalCloud) -> None:
        # Given four houses and a producer, created through the API at the start of the day
        bodies = [fleet_house(n) for n in range(4)]
        houses = [staff(grid, "POST", "/sim/houses", body, 201) for body in bodies]
        producer = staff(grid, "POST", "/sim/producers", {"name": "Nikola", "productionW": 2000}, 201)
        grid.drain()
        # When the schedule ticks 20 times (the car of 500 Wh at 7,400 W asks a plan at the first
        # report, then draws from the next tick and is done by 00:06)
        grid.tick(20)
        # Then every house's stored day, and each object, is what the simulation computed
        intervals = [Interval(START + timedelta(minutes=m), 1) for m in range(20)]
        for body, house in zip(bodies, houses, strict=True):
            schedules = schedules_of(grid, house["houseId"], body)
            consumed, produced = expected_day_mwh(body, intervals, schedules)
            day = staff(grid, "GET", f"/houses/{house['houseId']}/consumption?date={DAY}")
            assert day["wh"] == mwh_to_wh(consumed), body["name"]
            if house["producerId"]:
                production = staff(grid, "GET", f"/producers/{house['producerId']}/production?date={DAY}")
                assert production["wh"] == mwh_to_wh(produced)
        # And by hand: 20 ticks of a 100 W fridge, and the car's 500 Wh in full
        first = staff(grid, "GET", f"/houses/{houses[0]['houseId']}/consumption?date={DAY}")
        assert first["objects"]["fridge"] == mwh_to_wh(20 * watts_over_minutes_mwh(100, 1)) == 33.34
        assert first["objects"]["car"] == 500.0
        # And the producer reported every tick: its own 2,000 W until the production-adapter gave
        # it a setpoint, then the setpoint, never above its limit (10,000 W)
        produced = staff(grid, "GET", f"/producers/{producer['producerId']}/production?date={DAY}")
        ticks = [r["wh"] for r in produced["readings"]]
        assert len(ticks) == 20 and ticks[0] == mwh_to_wh(watts_over_minutes_mwh(2000, 1))
        assert all(0 <= wh <= mwh_to_wh(watts_over_minutes_mwh(10_000, 1)) for wh in ticks)
        seen_producer = staff(grid, "GET", f"/sim/producers/{producer['producerId']}")
        setpoint = seen_producer["setpointW"]
        assert seen_producer["actualW"] == (2000 if setpoint is None else max(0, min(setpoint, 10_000)))
        assert seen_producer["lastReading"]["wh"] == ticks[-1]
        # And the simulator shows where each house stands
        seen = staff(grid, "GET", f"/sim/houses/{houses[0]['houseId']}")
        assert seen["reportedUntil"] == "2026-03-01T00:20:00Z"
        assert seen["lastReadings"]["timestamp"] == "2026-03-01T00:19:00Z"
        assert {o["name"]: o["deliveredWh"] for o in seen["objects"]}["car"] == 500.0
        # And what the simulators posted reached the grid without a refusal or a dead letter
        assert sum(host.errors for host in grid.hosts.values()) == 0
        assert not any(grid.dead_letters().values())

    def test_the_api_url_in_ssm_is_served_in_process(self, grid: LocalCloud) -> None:
        # Given the parameter the simulators read / When a client of the real URL asks the clock
        with grid.locked():
            url = api_url("/smartgrid/dev/api-url")
        # Then it is the API Gateway URL of the stage, answered by the local grid
        assert url == "https://local.execute-api.us-east-1.amazonaws.com/dev"
        assert GridClient(url).clock() == staff(grid, "GET", "/clock")["now"]
        # And the head-end's token is staff
        assert GridClient(url, grid.head_end_token).request("GET", "/communities")["communities"]


class TestAJumpOfADay:
    def test_a_day_jump_is_reported_in_hourly_readings_and_the_day_is_right(self, grid: LocalCloud) -> None:
        # Given a house with a flat fridge and profiled appliances, and a producer, at midnight
        body = fleet_house(1)
        house = staff(grid, "POST", "/sim/houses", body, 201)
        producer = staff(grid, "POST", "/sim/producers", {"name": "Nikola"}, 201)
        grid.drain()
        # When staff jump the clock a whole day
        staff(grid, "POST", "/clock/advance", {"ticks": 1440})
        grid.drain()
        # Then each object reported 24 hourly readings
        fridge = staff(grid, "GET", f"/houses/{house['houseId']}/consumption/objects/fridge?date={DAY}")
        assert [r["timestamp"][11:16] for r in fridge["readings"]] == [f"{h:02d}:00" for h in range(24)]
        assert {r["wh"] for r in fridge["readings"]} == {110.0}
        # And the day's total is the simulation's, hour by hour
        hours = report_intervals(START, START + timedelta(days=1), 1)
        consumed, _ = expected_day_mwh(body, hours)
        assert staff(grid, "GET", f"/houses/{house['houseId']}/consumption?date={DAY}")["wh"] == mwh_to_wh(
            consumed
        )
        # And the producer made 1,000 W for 24 hours
        produced = staff(grid, "GET", f"/producers/{producer['producerId']}/production?date={DAY}")
        assert produced["wh"] == 24_000.0


class TestTheDemoFleet:
    def test_make_run_loads_houses_in_towns_and_two_producers_through_the_api(self, grid: LocalCloud) -> None:
        # Given the demo fleet of 12 houses (two towns) / When it loads, as `make run --houses 12` does
        said: list[str] = []
        fleet = DemoFleet(grid, 12, said.append, page_url="http://127.0.0.1:3000")
        fleet.load()
        grid.drain()
        # Then 12 houses and 2 producers are simulated, registered in the grid, in two communities
        assert fleet.created == 12
        assert item_count(grid, "SimHousesTable") == 2 * 12 and item_count(grid, "SimProducersTable") == 2 * 2
        communities = staff(grid, "GET", "/communities")["communities"]
        assert len(communities) == 2 and sum(c["members"] for c in communities) == 12
        assert said[0] == "demo fleet: creating 12 houses in 2 towns and 2 producers..."
        assert said[-1].startswith("demo fleet: 12 houses and 2 producers ready in ")
        # And it says where the first house's page is, with the house's own token
        page = re.fullmatch(
            r"demo fleet: the household page of (.+): http://127\.0\.0\.1:3000/dashboard/house#(.+)", said[1]
        )
        assert page is not None
        fragment = parse_qs(page.group(2))
        house_id, token = fragment["house"][0], fragment["token"][0]
        answer = grid.request("GET", f"/houses/{house_id}", token=token)
        assert answer.status == 200 and answer.json()["name"] == page.group(1)
        # And the grid lives: a tick later, every house and producer has reported
        grid.tick(1)
        posted = grid.posted_readings.take()
        assert posted is not None and posted.readings >= 12 + 2


@pytest.mark.slow
class TestAThousandHouses:
    def test_a_thousand_houses_report_every_tick(self, grid: LocalCloud) -> None:
        # Given 1,000 simulated houses (about 2 readings each a tick) and a producer
        started = time.monotonic()
        for n in range(1000):
            staff(grid, "POST", "/sim/houses", fleet_house(n % 12) | {"name": f"house {n}"}, 201)
        staff(grid, "POST", "/sim/producers", {"name": "Nikola", "productionW": 500_000}, 201)
        grid.drain()
        created = time.monotonic() - started
        # When the clock ticks twice
        started = time.monotonic()
        grid.tick(2)
        ticked = time.monotonic() - started
        # Then every house reported both ticks (a fridge each, panels on one in three), all
        # accepted, and the grid took them without an error or a dead letter
        posted = grid.posted_readings.take()
        solar = sum(1 for n in range(1000) if (n % 12) % 3 == 0)
        assert posted is not None and posted.readings == 2 * (1000 + solar + 1)
        assert sum(host.errors for host in grid.hosts.values()) == 0
        assert not any(grid.dead_letters().values())
        print(f"\n1,000 houses: created in {created:.1f} s, two ticks in {ticked:.1f} s")


class TestFramesAfterAJumpOfTicks:
    def test_a_moves_own_frames_close_once_its_readings_are_in(self, grid: LocalCloud) -> None:
        # Given a simulated house drawing a flat 600 W (10 Wh a minute), reporting tick by tick
        body = {
            "name": "flat",
            "location": {"lat": 45.0, "lon": 4.0},
            "objects": [{"name": "heater", "kind": "base", "powerW": 600}],
        }
        staff(grid, "POST", "/sim/houses", body, 201)
        grid.drain()
        grid.tick(FRAME_DELAY)
        probe = TopicProbe(grid, "ElectricityFrameTopic")
        # When staff move the clock 10 ticks at once (the house reports them after the move)
        moved = staff(grid, "POST", "/clock/advance", {"ticks": 10})
        grid.drain()
        jumped = [iso(parse_instant(moved["previous"]) + timedelta(minutes=m)) for m in range(10)]
        # Then that move closed none of its own frames: their readings were still to come
        assert not [f for f in probe.events() if f["frameStart"] in jumped]
        # When the clock moves on a tick at a time, FrameDelayTicks - 1 times
        grid.tick(FRAME_DELAY - 1)
        # Then each of the jump's frames was published once, holding the house's 10 Wh
        published = [f for f in probe.events() if f["frameStart"] in jumped]
        probe.close()
        assert sorted(f["frameStart"] for f in published) == jumped
        assert {f["grid"]["consumptionMwh"] for f in published} == {10_000}
