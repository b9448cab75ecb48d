"""The VPP's pure rules: offers, the water-filled split, the battery following a setpoint,
what counts as delivered, and the bill's VPP line."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from smartgrid.batteries import BatterySpec
from smartgrid.billing import EPOCH, Price, PriceList, vpp_share
from smartgrid.events import HouseEnergy
from smartgrid.simulation.house import battery_step, dispatched_step
from smartgrid.vpp import (
    HouseResources,
    Offer,
    Setpoint,
    Side,
    delivered,
    offer,
    portion,
    split,
    window_capacity,
)

SPEC = BatterySpec(capacity_mwh=5_000_000, max_charge_w=600, max_discharge_w=600)  # 10 Wh a minute


def test_an_offer_is_battery_above_reserve_plus_surplus_within_rates() -> None:
    # Given a house holding 3 kWh with a 1 kWh reserve, 600 W out, and a 300 W surplus
    house = HouseResources(
        "h-1", "c-1", reserve_mwh=1_000_000, stored_mwh=3_000_000, capacity_mwh=5_000_000,
        max_charge_w=600, max_discharge_w=600, surplus_w=300,
    )  # fmt: skip
    # When it offers to a sell order of 10 one-minute ticks
    sell = offer(house, Side.SELL, 10, 1)
    # Then: 2 kWh above the reserve plus 10 ticks of surplus, at most 10 + 5 Wh a tick
    assert sell == Offer("h-1", 2_000_000 + 50_000, 15_000)
    assert sell.cap_mwh(10) == 150_000
    # And to a buy order: the room, at its charge rate
    assert offer(house, Side.BUY, 10, 1) == Offer("h-1", 2_000_000, 10_000)
    # And a house at its reserve offers no battery power
    low = HouseResources("h-2", "c-1", reserve_mwh=1_000_000, stored_mwh=900_000, max_discharge_w=600)
    assert offer(low, Side.SELL, 10, 1) == Offer("h-2", 0, 0)


def test_the_split_is_pro_rata_of_available_energy_water_filled_under_the_rates() -> None:
    # Given three houses: one with much energy but a low rate
    offers = [Offer("a", 9_000, 100), Offer("b", 3_000, 1_000), Offer("c", 1_000, 1_000)]
    assert window_capacity(offers, 10) == 1_000 + 3_000 + 1_000
    # When an order of 4,000 mWh over 10 ticks is split
    shares = split(4_000, offers, 10)
    # Then "a" is capped at its rate (1,000 over the window) and the rest goes to b and c 3:1
    assert shares == {"a": 1_000, "b": 2_250, "c": 750}
    assert sum(shares.values()) == 4_000
    # And spread evenly, no house exceeds its rate in any tick
    for house in offers:
        assert all(portion(shares[house.house_id], 10, i) <= house.per_tick_mwh for i in range(10))


def test_the_split_sums_exactly_and_leaves_out_houses_with_nothing() -> None:
    offers = [Offer("a", 1, 10), Offer("b", 1, 10), Offer("c", 1, 10), Offer("d", 0, 10)]
    shares = split(2, offers, 1)
    assert sum(shares.values()) == 2
    assert "d" not in shares


def test_a_sell_setpoint_draws_the_battery_for_the_gap_never_below_the_reserve() -> None:
    # Given a battery holding 1,020 Wh, a reserve of 1,000 Wh, a 5 Wh surplus in a minute
    # When the VPP asks 12 Wh: 5 from the surplus, 7 from the battery (within 10 Wh a minute)
    assert dispatched_step(SPEC, 1_020_000, 5_000, 1, Setpoint(Side.SELL, 12_000, 1_000_000)) == 1_013_000
    # When it asks 40 Wh: the battery gives 10 Wh at most (its rate)
    assert dispatched_step(SPEC, 1_020_000, 5_000, 1, Setpoint(Side.SELL, 40_000, 1_000_000)) == 1_010_000
    # When it holds 1,004 Wh: it gives 4 Wh, down to the reserve, not below
    assert dispatched_step(SPEC, 1_004_000, 5_000, 1, Setpoint(Side.SELL, 40_000, 1_000_000)) == 1_000_000
    # When the surplus is more than asked: the rest charges it as usual
    assert dispatched_step(SPEC, 1_004_000, 5_000, 1, Setpoint(Side.SELL, 2_000, 1_000_000)) == 1_007_000
    # When the house has its own deficit below the reserve: drawn as usual for the house
    own = battery_step(SPEC, 1_004_000, -8_000, 1)
    assert dispatched_step(SPEC, 1_004_000, -8_000, 1, Setpoint(Side.SELL, 3_000, 1_000_000)) == own


def test_a_buy_setpoint_charges_the_battery_within_room_and_rate() -> None:
    assert dispatched_step(SPEC, 0, 0, 1, Setpoint(Side.BUY, 4_000, 0)) == 4_000
    assert dispatched_step(SPEC, 0, 2_000, 1, Setpoint(Side.BUY, 40_000, 0)) == 10_000
    assert dispatched_step(SPEC, 4_999_000, 0, 1, Setpoint(Side.BUY, 4_000, 0)) == 5_000_000


def test_delivered_is_the_export_or_the_charge_up_to_the_setpoint() -> None:
    tick = HouseEnergy(productionMwh=10_000, batteryDischargeMwh=3_000, soldMwh=13_000)
    assert delivered(Side.SELL, 12_000, tick) == 12_000
    assert delivered(Side.SELL, 20_000, tick) == 13_000
    charged = HouseEnergy(consumptionMwh=1_000, batteryChargeMwh=4_000, boughtMwh=5_000)
    assert delivered(Side.BUY, 3_000, charged) == 3_000
    assert delivered(Side.SELL, 3_000, charged) == 0


def test_the_bill_s_vpp_line_prices_the_deliveries_at_the_days_prices() -> None:
    prices = PriceList(
        Price(EPOCH, Decimal("0.00015"), Decimal("0.00010")),
        [Price(dt.date(2026, 3, 2), Decimal("0.0003"), Decimal("0.0002"))],
    )
    share = vpp_share({"2026-03-01": (10_000_000, 0), "2026-03-02": (5_000_000, 2_000_000)}, prices)
    assert share is not None
    assert share.soldWh == 15_000
    assert share.credited == Decimal("2.00")  # 10 kWh at 0.0001 + 5 kWh at 0.0002
    assert share.boughtWh == 2_000
    assert share.charged == Decimal("0.60")
    assert vpp_share({"2026-03-01": (0, 0)}, prices) is None
