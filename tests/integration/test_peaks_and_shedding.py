"""Peaks and shortfalls through the local runtime: simulated houses report tick by tick; a
community that peaks is shed on the clock move its frame closes (frames close DELAY ticks
late), its next frames are under its threshold, and its car resumes by itself after the hold;
producers at their limits shed the community whose car draws, and staff are warned.

The grids here hold sheddings SHED ticks (the template's SheddingMinutes), to see the resume soon.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from localcloud import LocalCloud
from smartgrid.gridtime import iso, parse_instant
from tests.conftest import CLOCK_START, start_cloud
from tests.functions.support import TopicProbe
from tests.helpers import staff

DELAY = 5  # FrameDelayTicks, the template's default
SHED = 10
STOP = 1 + DELAY  # the car draws from 00:01; that frame closes, and is shed, DELAY ticks later


@pytest.fixture(scope="class")
def grid() -> Iterator[LocalCloud]:
    cloud = start_cloud(LogLevel="ERROR", SheddingMinutes=str(SHED))
    yield cloud
    cloud.stop()


def at(minute: int) -> str:
    return iso(parse_instant(CLOCK_START) + timedelta(minutes=minute))


def sim_house(cloud: LocalCloud, n: int, car_w: float | None = None) -> Any:
    """A simulated house heated at 1,000 W, with a car of `car_w` needing an hour's charge
    within the hour after it asks (at 00:01): it can only draw flat out."""
    objects: list[dict[str, Any]] = [{"name": "heating", "kind": "base", "powerW": 1000}]
    if car_w:
        car = {"name": "car", "kind": "schedulable", "powerW": car_w, "energyWh": car_w, "deadline": at(61)}
        objects.append(car)
    body = {"name": f"house {n}", "location": {"lat": 45.76 + 0.001 * n, "lon": 4.84}, "objects": objects}
    return staff(cloud, "POST", "/sim/houses", body, 201)


def sim_producer(cloud: LocalCloud, production_w: float, limit_w: float) -> Any:
    body = {"name": "Nikola", "productionW": production_w, "productionLimitW": limit_w}
    return staff(cloud, "POST", "/sim/producers", body, 201)


def frames(cloud: LocalCloud, first: int, last: int) -> dict[str, Any]:
    closed = staff(cloud, "GET", f"/grid/frames?from={at(first)}&to={at(last)}")["frames"]
    return {f["frameStart"]: f for f in closed}


class TestAPeak:
    def test_a_peak_is_shed_on_the_move_its_frame_closes_and_the_car_resumes_after(
        self, grid: LocalCloud
    ) -> None:
        # Given a community of three houses drawing 3,000 W, one with a 7,400 W car (10,400 W in
        # all, over the default 10,000 W threshold), and a producer
        houses = [sim_house(grid, n) for n in range(2)]
        car_house = sim_house(grid, 2, car_w=7400)
        sim_producer(grid, 10_000, limit_w=50_000)
        grid.drain()
        community = staff(grid, "GET", f"/houses/{car_house['houseId']}")["communityId"]
        assert {staff(grid, "GET", f"/houses/{h['houseId']}")["communityId"] for h in houses} == {community}
        # When the clock ticks 30 times (the car asks its plan at the first report, draws from 00:01)
        grid.tick(30)
        # Then the frame of 00:01 peaked, and was shed on the move that closed it (to 00:06)
        peaks = staff(grid, "GET", f"/communities/{community}/peaks")["peaks"]
        first = peaks[0]
        assert (first["frameStart"], round(first["valueW"]), first["thresholdW"]) == (at(1), 10_400, 10_000.0)
        assert first["shed"]["start"] == at(1 + DELAY) == at(STOP)
        assert first["shed"]["objects"] == [
            {"houseId": car_house["houseId"], "name": "car", "powerW": 7400.0}
        ]
        # And the frames the car drew in before the shedding took effect peaked too, handled by it
        assert [p["frameStart"] for p in peaks[:5]] == [at(m) for m in range(1, STOP)]
        assert {p["shed"]["start"] for p in peaks[:5]} == {at(STOP)}
        # And from the shedding on, the community is under its threshold until the car resumes
        closed = frames(grid, 0, 30)
        # (to the W: a tick of 1,000 W is 16,666.67 mWh, reported as 16,667)
        drawn = {m: round(closed[at(m)]["communities"][community]["consumptionW"]) for m in range(24)}
        assert drawn[0] == 3000 and all(drawn[m] == 10_400 for m in range(1, STOP))
        assert all(drawn[m] == 3000 for m in range(STOP, STOP + SHED))
        # And then the car resumes by itself: its plan moved after the hold, nothing dropped
        assert drawn[STOP + SHED] == 10_400
        plan = staff(grid, "GET", f"/houses/{car_house['houseId']}/objects/car/schedule")
        assert plan["slots"][:2] == [
            {"start": at(1), "end": at(STOP), "powerW": 7400.0},
            {"start": at(STOP + SHED), "end": plan["slots"][1]["end"], "powerW": 7400.0},
        ]
        # And while shed, once the producer followed the drop (its frames DELAY ticks late), the grid balances
        for m in range(STOP + DELAY + 2, STOP + SHED):
            totals = closed[at(m)]["grid"]
            assert abs(totals["consumptionW"] - totals["productionW"]) <= 0.01 * totals["consumptionW"], at(m)
        assert not any(grid.dead_letters().values())


class TestAShortfall:
    def test_producers_at_their_limit_shed_the_car_and_staff_are_warned(self, grid: LocalCloud) -> None:
        alerts = TopicProbe(grid, "AlertTopic")
        # Given a house drawing 1,000 W with a 2,000 W car, and a producer limited to 2,000 W
        house = sim_house(grid, 0, car_w=2000)
        sim_producer(grid, 1000, limit_w=2000)
        grid.drain()
        community = staff(grid, "GET", f"/houses/{house['houseId']}")["communityId"]
        # When the car draws from 00:01 (3,000 W in all: 1,000 W short)
        grid.tick(12)
        # Then the shortfall of the frame of 00:01 stopped the car on the move that closed it
        (shed,) = [
            s
            for s in staff(grid, "GET", f"/communities/{community}/shedding")["sheddings"]
            if s["cause"] == "limit"
        ]
        assert (
            shed["start"] == at(STOP)
            and shed["shedW"] == 2000.0
            and shed["shortfallW"] == pytest.approx(1000, abs=20)
        )
        assert shed["objects"] == [{"houseId": house["houseId"], "name": "car", "powerW": 2000.0}]
        # And staff were warned once for the episode (its frames short one after the other), with
        # the community where load was stopped
        (alert,) = alerts.events()
        alerts.close()
        assert (alert["alertType"], alert["subject"]) == (
            "production.limit.reached",
            {"kind": "grid", "id": "grid"},
        )
        assert alert["alertId"] == f"production-limit-{at(1)}" and community in alert["message"]
