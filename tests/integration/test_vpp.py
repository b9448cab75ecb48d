"""The virtual power plant through the local runtime: simulated houses with panels and
batteries enroll, staff read the capacity, a sell order is split among the enrolled houses,
executed tick by tick by their batteries, settled from the judged ticks, and credited on the
bills; an order over the capacity is refused; a house not enrolled is never used."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from localcloud import LocalCloud
from smartgrid.gridtime import iso, parse_instant
from tests.conftest import STAFF_TOKEN, start_cloud
from tests.helpers import register_house, staff

RESERVES_WH = {"Ada": 1000.0, "Blaise": 500.0}


def house(name: str, battery: dict[str, float]) -> dict[str, Any]:
    # 600 W of flat production and 300 W of base load: a 300 W surplus (5 Wh a tick)
    return {
        "name": name,
        "location": {"lat": 45.76, "lon": 4.84},
        "objects": [
            {"name": "fridge", "kind": "base", "powerW": 300},
            {"name": "generator", "kind": "producer", "powerW": 600},
        ],
        "battery": battery,
    }


@pytest.fixture(scope="module")
def grid() -> Iterator[LocalCloud]:
    cloud = start_cloud()
    yield cloud
    cloud.stop()


def advance(grid: LocalCloud, ticks: int) -> None:
    for _ in range(ticks):
        staff(grid, "POST", "/clock/advance", {"ticks": 1})
        grid.drain()


def fields(error: dict[str, Any]) -> list[str]:
    return [f["field"] for f in error.get("fields", [])]


def stored_wh(grid: LocalCloud, battery_id: str, start: str, end: str) -> dict[str, float]:
    """What the battery held at each tick boundary of [start, end]."""
    states = staff(grid, "GET", f"/batteries/{battery_id}/states?from={start}&to={end}")["states"]
    return {s["timestamp"]: float(s["storedWh"]) for s in states}


def test_a_sell_order_is_split_executed_settled_and_credited(grid: LocalCloud) -> None:
    # Given three houses with panels and batteries: Ada and Blaise enrolled (reserves 1,000
    # and 500 Wh), Cyrus not enrolled
    ada = staff(
        grid,
        "POST",
        "/sim/houses",
        house("Ada", {"capacityWh": 5000, "maxChargeW": 1000, "maxDischargeW": 400, "storedWh": 3000}),
        201,
    )
    blaise = staff(
        grid,
        "POST",
        "/sim/houses",
        house("Blaise", {"capacityWh": 2000, "maxChargeW": 200, "maxDischargeW": 200, "storedWh": 1500}),
        201,
    )
    cyrus = staff(
        grid,
        "POST",
        "/sim/houses",
        house("Cyrus", {"capacityWh": 5000, "maxChargeW": 1000, "maxDischargeW": 400, "storedWh": 3000}),
        201,
    )
    grid.drain()
    for sim in (ada, blaise):
        enrolled = staff(
            grid,
            "PUT",
            f"/houses/{sim['houseId']}/vpp",
            {"enrolled": True, "reserveWh": RESERVES_WH[sim["name"]]},
        )
        assert enrolled["enrolled"] is True
    assert staff(grid, "GET", f"/houses/{cyrus['houseId']}/vpp")["enrolled"] is False
    # ... whose surplus has been judged (ticks are judged 5 ticks late)
    advance(grid, 7)

    # When staff read the capacity
    capacity = staff(grid, "GET", "/vpp/capacity")
    # Then it counts the enrolled houses only: battery energy above reserves, rates plus surplus
    assert capacity["total"]["houses"] == 2
    ada_battery = staff(grid, "GET", f"/batteries/{ada['battery']['batteryId']}")["latestState"]["storedWh"]
    blaise_battery = staff(grid, "GET", f"/batteries/{blaise['battery']['batteryId']}")["latestState"][
        "storedWh"
    ]
    assert capacity["total"]["sell"]["energyWh"] == pytest.approx(ada_battery - 1000 + blaise_battery - 500)
    assert capacity["total"]["sell"]["powerW"] == pytest.approx(400 + 200 + 300 + 300)
    assert sum(c["houses"] for c in capacity["communities"]) == 2

    # When staff place an order larger than the capacity over 5 ticks
    now = parse_instant(staff(grid, "GET", "/clock")["now"])
    start, end = iso(now), iso(now + timedelta(minutes=5))
    too_much = grid.request(
        "POST",
        "/vpp/orders",
        token=STAFF_TOKEN,
        json_body={"side": "sell", "energyWh": 5000, "powerW": 100_000, "start": start, "end": end},
    )
    # Then it is refused with the capacity
    assert too_much.status == 422, too_much.body
    assert fields(too_much.json()) == ["energyWh"]
    assert too_much.json()["capacity"]["total"]["houses"] == 2
    assert 0 < too_much.json()["availableWh"] < 5000

    # When staff place an order of 80 Wh over the 5 ticks
    order = staff(
        grid,
        "POST",
        "/vpp/orders",
        {"side": "sell", "energyWh": 80, "powerW": 1000, "start": start, "end": end},
        201,
    )
    # Then it is split between the enrolled houses only, pro rata of their available energy
    assert set(order["houses"]) == {ada["houseId"], blaise["houseId"]}
    assert sum(h["plannedWh"] for h in order["houses"].values()) == pytest.approx(80)
    assert order["houses"][ada["houseId"]]["plannedWh"] > order["houses"][blaise["houseId"]]["plannedWh"]

    # When the houses go through the order's ticks, and the ticks are judged
    advance(grid, 5)
    staff(grid, "POST", "/clock/advance", {"ticks": 6})
    grid.drain()

    # Then the order shows what each house delivered, tick by tick: all of it
    settled = staff(grid, "GET", f"/vpp/orders/{order['orderId']}")
    assert [t["start"] for t in settled["ticks"]] == [iso(now + timedelta(minutes=m)) for m in range(5)]
    for tick in settled["ticks"]:
        assert set(tick["houses"]) == {ada["houseId"], blaise["houseId"]}
        assert tick["deliveredWh"] == pytest.approx(tick["plannedWh"])
    assert settled["deliveredWh"] == pytest.approx(80)
    for share in settled["houses"].values():
        assert share["deliveredWh"] == pytest.approx(share["plannedWh"])
    # ... Ada's battery was drawn for it (faster than her own surplus would), never below reserve
    for sim in (ada, blaise):
        held = stored_wh(grid, sim["battery"]["batteryId"], start, end)
        assert len(held) == 6
        assert min(held.values()) >= RESERVES_WH[sim["name"]]
    ada_held = stored_wh(grid, ada["battery"]["batteryId"], start, end)
    assert ada_held[end] < ada_held[start]
    # ... Cyrus's battery went on storing his surplus (5 Wh a tick)
    cyrus_held = stored_wh(grid, cyrus["battery"]["batteryId"], start, end)
    assert cyrus_held[end] == pytest.approx(cyrus_held[start] + 25)

    # And each enrolled house's bill credits its share at the sell price; Cyrus's has no VPP line
    for sim in (ada, blaise):
        bill = staff(grid, "GET", f"/houses/{sim['houseId']}/bills/current")
        share = settled["houses"][sim["houseId"]]["deliveredWh"]
        assert bill["vpp"]["soldWh"] == pytest.approx(share)
        assert float(bill["vpp"]["credited"]) == pytest.approx(round(share * 0.0001, 2))
        assert bill["soldWh"] >= share
    assert staff(grid, "GET", f"/houses/{cyrus['houseId']}/bills/current")["vpp"] is None


def test_enrollment_is_the_house_s_own_or_staff_s_and_orders_are_checked(grid: LocalCloud) -> None:
    # Given two registered houses
    pierre, marie = register_house(grid, "Pierre"), register_house(grid, "Marie")
    grid.drain()
    # When a house enrolls itself, it is enrolled; another house may not enroll it
    mine = grid.request(
        "PUT", f"/houses/{pierre.id}/vpp", token=pierre.token, json_body={"enrolled": True, "reserveWh": 100}
    )
    assert mine.status == 200, mine.body
    assert grid.request("GET", f"/houses/{pierre.id}/vpp", token=pierre.token).json()["reserveWh"] == 100
    other = grid.request("PUT", f"/houses/{pierre.id}/vpp", token=marie.token, json_body={"enrolled": False})
    assert other.status == 403
    # ... and a house that is not registered cannot be enrolled
    staff(grid, "PUT", "/houses/h-000000000000/vpp", {"enrolled": True}, 404)
    # When staff place an order in the past, or off the tick boundaries: 422 naming the field
    now = parse_instant(staff(grid, "GET", "/clock")["now"])
    past = {
        "side": "buy",
        "energyWh": 1,
        "powerW": 100,
        "start": iso(now - timedelta(minutes=1)),
        "end": iso(now + timedelta(minutes=1)),
    }
    assert fields(staff(grid, "POST", "/vpp/orders", past, 422)) == ["start"]
    off = {**past, "start": iso(now + timedelta(seconds=30))}
    assert fields(staff(grid, "POST", "/vpp/orders", off, 422)) == ["start"]
    # ... or faster than its power allows
    fast = {**past, "start": iso(now), "energyWh": 100, "powerW": 10}
    assert fields(staff(grid, "POST", "/vpp/orders", fast, 422)) == ["powerW"]
    # And orders are staff's only
    denied = grid.request("POST", "/vpp/orders", token=pierre.token, json_body={**past, "start": iso(now)})
    assert denied.status == 403
