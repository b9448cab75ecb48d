"""A simulated house with panels and a battery through the whole grid, over a day: its readings
and battery states make its real energy, which makes its autarky, which makes its notifications,
and its bill; nothing injected by hand. Half-hour autarky windows at five-minute ticks keep the
day short."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from localcloud import LocalCloud
from tests.conftest import start_cloud
from tests.helpers import staff

START = "2026-06-01T06:00:00Z"


@pytest.fixture(scope="module")
def grid() -> Iterator[LocalCloud]:
    cloud = start_cloud(LogLevel="ERROR", ClockStart=START, TickMinutes="5", AutarkyWindowMinutes="30")
    yield cloud
    cloud.stop()


def test_autarky_is_gained_by_day_and_lost_at_night_with_one_notification_each(grid: LocalCloud) -> None:
    # Given a house with a 150 W fridge, 3 kW of panels and the default battery (1,000 Wh,
    # 50 W each way: at night it covers a third of the fridge)
    house = staff(
        grid,
        "POST",
        "/sim/houses",
        {
            "name": "Albert",
            "location": {"lat": 45.76, "lon": 4.84},
            "objects": [
                {"name": "fridge", "kind": "base", "powerW": 150},
                {"name": "solar panels", "kind": "producer", "powerW": 3000, "profile": "solar"},
            ],
            "battery": {},
        },
        201,
    )
    grid.drain()
    house_id = house["houseId"]

    def seen(path: str) -> Any:
        return staff(grid, "GET", f"/houses/{house_id}/{path}")

    # When the morning passes (six hours of five-minute ticks)
    grid.tick(72)
    # Then the house is autarkic, and was told once
    assert seen("autarky")["autarkic"] is True
    (gained,) = seen("notifications")["notifications"]
    assert gained["subject"] == "Your house is now autarkic" and gained["delivered"] is True
    # And its battery filled from the surplus, within its capacity
    battery = seen("battery")
    assert 0 < battery["latestState"]["storedWh"] <= 1000
    # When the clock runs into the night (the sun sets; the battery gives 50 W of the 150 W)
    staff(grid, "POST", "/clock/advance", {"until": "2026-06-01T21:00:00Z"})
    grid.drain()
    grid.tick(12)
    # Then autarky is lost, told once more
    assert seen("autarky")["autarkic"] is False
    lost, first = seen("notifications")["notifications"]
    assert first == gained and lost["subject"] == "Your house is no longer autarkic"
    # And the day's energy balances to the mWh, and the bill prices it
    day = seen("energy?date=2026-06-01")
    supplied = day["producedWh"] + day["batteryDischargeWh"] + day["boughtWh"]
    used = day["consumedWh"] + day["batteryChargeWh"] + day["soldWh"]
    assert round(supplied, 3) == round(used, 3) and day["soldWh"] > 0 and day["boughtWh"] > 0
    bill = seen("bills/current")
    assert (bill["boughtWh"], bill["soldWh"]) == (day["boughtWh"], day["soldWh"])
    assert not any(grid.dead_letters().values())
    assert sum(host.errors for host in grid.hosts.values()) == 0
