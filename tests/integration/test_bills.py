"""Bills through the local runtime: readings posted by a house (and its panels), real energy
computed tick by tick, the month closed by the clock once past its lateness window, stored
once; a late reading of a closed month becomes an adjustment on the next bill; prices are
effective-dated. Every figure is computed by hand from the readings in the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from localcloud import LocalCloud
from tests.conftest import start_cloud
from tests.helpers import Registered, register_house, staff


@pytest.fixture(scope="module")
def grid() -> Iterator[LocalCloud]:
    cloud = start_cloud(LogLevel="ERROR")
    yield cloud
    cloud.stop()


def consume(cloud: LocalCloud, house: Registered, day: str, wh: float) -> None:
    body = {"timestamp": f"{day}T00:00:00Z", "durationMinutes": 1440, "objects": {"heating": wh}}
    answer = cloud.request("POST", f"/houses/{house.id}/consumption", token=house.token, json_body=body)
    assert answer.status == 202, answer.body


def produce(cloud: LocalCloud, house: Registered, producer_id: str, day: str, wh: float) -> None:
    body = {"timestamp": f"{day}T00:00:00Z", "durationMinutes": 1440, "wh": wh}
    answer = cloud.request("POST", f"/producers/{producer_id}/production", token=house.token, json_body=body)
    assert answer.status == 202, answer.body


def bill_of(cloud: LocalCloud, house: Registered, month: str) -> Any:
    answer = cloud.request("GET", f"/houses/{house.id}/bills/{month}", token=house.token)
    assert answer.status == 200, answer.body
    return answer.json()


def money(value: str) -> Decimal:
    return Decimal(value)


def test_a_month_is_billed_from_its_ticks_closed_once_and_adjusted_after(grid: LocalCloud) -> None:
    # Given a house with panels, registered at the grid's start (2026-03-01)
    house = register_house(grid, "Albert", 45.0, 5.0)
    grid.drain()
    producer = grid.request("POST", f"/houses/{house.id}/producer", token=house.token).json()["producerId"]
    staff(grid, "POST", "/clock/advance", {"until": "2026-03-10T00:00:00Z"})
    grid.drain()
    # When it uses 10 kWh on the 2nd (making 4 kWh: 6 kWh bought), makes 3 kWh on the 3rd
    # and uses nothing (3 kWh sold)
    consume(grid, house, "2026-03-02", 10_000)
    produce(grid, house, producer, "2026-03-02", 4_000)
    produce(grid, house, producer, "2026-03-03", 3_000)
    grid.drain()
    # Then March so far: 6 kWh at 0.00015 €/Wh due, 3 kWh at 0.00010 €/Wh credited
    march = bill_of(grid, house, "2026-03")
    assert (march["boughtWh"], march["soldWh"]) == (6000.0, 3000.0)
    assert (money(march["amountDue"]), money(march["amountCredited"]), money(march["total"])) == (
        Decimal("0.90"),
        Decimal("0.30"),
        Decimal("0.60"),
    )
    assert march["final"] is False and march["fromDate"] == "2026-03-01"
    # When April begins and its lateness window passes (the month closes on the next move)
    staff(grid, "POST", "/clock/advance", {"until": "2026-04-01T00:10:00Z"})
    grid.drain()
    grid.tick()
    # Then March is final, with the same figures
    closed = bill_of(grid, house, "2026-03")
    assert closed["final"] is True and closed["total"] == march["total"] and closed["toDate"] == "2026-03-31"
    # When a reading of March 31 arrives late: 2 kWh more
    consume(grid, house, "2026-03-31", 2_000)
    grid.drain()
    # Then March's bill does not change, April's carries the adjustment at March's price
    assert bill_of(grid, house, "2026-03") == closed
    current = grid.request("GET", f"/houses/{house.id}/bills/current", token=house.token).json()
    assert current["month"] == "2026-04" and current["final"] is False
    assert current["adjustment"]["days"] == ["2026-03-31"]
    assert (current["adjustment"]["boughtWh"], money(current["adjustment"]["amount"])) == (
        2000.0,
        Decimal("0.30"),
    )
    assert money(current["total"]) == Decimal("0.30")
    assert current["projection"] is not None
    # And the list holds both months, March first
    listed = grid.request("GET", f"/houses/{house.id}/bills", token=house.token).json()["bills"]
    assert [(b["month"], b["final"]) for b in listed] == [("2026-03", True), ("2026-04", False)]


def test_prices_change_from_their_day_but_never_in_a_closed_month(grid: LocalCloud) -> None:
    house = register_house(grid, "Pierre & Marie", 46.0, 5.0)
    grid.drain()
    # Given a new price from April 20 (the clock is in April; March is closed by the test above
    # or by this module's clock, whichever ran first)
    staff(grid, "POST", "/clock/advance", {"until": "2026-04-25T00:00:00Z"})
    grid.drain()
    grid.tick()
    changed = staff(grid, "PUT", "/prices/2026-04-20", {"buyPerWh": "0.0002", "sellPerWh": "0.0001"})
    assert changed["prices"][-1] == {
        "effective": "2026-04-20",
        "buyPerWh": "0.0002",
        "sellPerWh": "0.0001",
        "currency": "EUR",
    }
    # When the house uses 1 kWh on the 19th and 1 kWh on the 20th
    consume(grid, house, "2026-04-19", 1_000)
    consume(grid, house, "2026-04-20", 1_000)
    grid.drain()
    # Then it pays 0.15 + 0.20
    april = bill_of(grid, house, "2026-04")
    assert money(april["amountDue"]) == Decimal("0.35")
    # And a price change in March, closed, is refused and changes nothing
    refused = grid.request(
        "PUT", "/prices/2026-03-20", token=None, json_body={"buyPerWh": "0.1", "sellPerWh": "0.1"}
    )
    assert refused.status == 401
    before = staff(grid, "GET", "/prices")
    conflict = staff(grid, "PUT", "/prices/2026-03-20", {"buyPerWh": "0.1", "sellPerWh": "0.1"}, status=409)
    assert conflict["fields"][0]["field"] == "effective"
    assert staff(grid, "GET", "/prices") == before


def test_only_the_house_itself_or_staff_read_its_bills(grid: LocalCloud) -> None:
    house, other = register_house(grid, "A", 47.0, 5.0), register_house(grid, "B", 47.5, 5.0)
    grid.drain()
    assert grid.request("GET", f"/houses/{house.id}/bills").status == 401
    assert grid.request("GET", f"/houses/{house.id}/bills", token=other.token).status == 403
    assert staff(grid, "GET", f"/houses/{house.id}/bills")["houseId"] == house.id
    bad = grid.request("GET", f"/houses/{house.id}/bills/2026-13", token=house.token)
    assert bad.status == 422
