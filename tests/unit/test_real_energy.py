"""Real energy: a tick's balance (bought and sold from consumption, production and battery
flow), readings spread over ticks, battery states spread between reports, and the slots a
reading is stored in."""

from __future__ import annotations

from smartgrid.energy import HourInputs, Spread, balance, battery_flow, hour_energies, tick_energy, total
from smartgrid.events import BatteryState, ClientConsumption, HouseEnergy, ProductionReading
from smartgrid.stores.energy import DAY_PREFIX, HOUR_PREFIX, EnergyReading, EnergyStore, hour_inputs


def balanced(energy: HouseEnergy) -> bool:
    supply = energy.productionMwh + energy.batteryDischargeMwh + energy.boughtMwh
    demand = energy.consumptionMwh + energy.batteryChargeMwh + energy.soldMwh
    return supply == demand and min(energy.boughtMwh, energy.soldMwh) == 0


def test_a_house_short_of_its_own_production_buys_the_rest() -> None:
    # Given 5,000 mWh consumed, 1,200 produced, no battery / When balanced
    energy = balance(consumption=5000, production=1200, flow=0)
    # Then it bought 3,800 and sold nothing
    assert energy.boughtMwh == 3800 and energy.soldMwh == 0 and balanced(energy)


def test_surplus_not_stored_is_sold() -> None:
    # Given 1,000 consumed, 4,000 produced, 2,500 stored into the battery
    energy = balance(consumption=1000, production=4000, flow=2500)
    # Then 500 sold, nothing bought, the charge shown
    assert energy == HouseEnergy(
        consumptionMwh=1000, productionMwh=4000, batteryChargeMwh=2500, soldMwh=500
    ) and balanced(energy)


def test_a_battery_discharge_covers_consumption_before_the_grid() -> None:
    # Given 3,000 consumed, nothing produced, 2,000 drawn from the battery
    energy = balance(consumption=3000, production=0, flow=-2000)
    # Then only 1,000 is bought
    assert energy.batteryDischargeMwh == 2000 and energy.boughtMwh == 1000 and balanced(energy)


def test_charging_from_the_grid_is_bought() -> None:
    energy = balance(consumption=0, production=0, flow=700)
    assert energy.boughtMwh == 700 and energy.batteryChargeMwh == 700 and balanced(energy)


def test_a_day_buys_and_sells_tick_by_tick_never_netted() -> None:
    # Given a tick selling 2,000 at noon and a tick buying 1,500 at night
    day = total([balance(1000, 3000, 0), balance(1500, 0, 0)])
    # Then the day both bought and sold
    assert day.boughtMwh == 1500 and day.soldMwh == 2000


def test_a_reading_over_several_ticks_is_spread_evenly_and_exactly() -> None:
    # Given an hour-long reading of 600,001 mWh from 10:00 (minute 600)
    spread = Spread(start=600, ticks=60, mwh=600_001)
    # Then each tick gets its part, the remainder on the first, none outside
    parts = [spread.at(600 + i, 1) for i in range(60)]
    assert parts[0] == 10_001 and parts[1] == 10_000 and sum(p or 0 for p in parts) == 600_001
    assert spread.at(599, 1) is None and spread.at(660, 1) is None


def test_a_battery_flow_is_the_change_between_the_ticks_boundaries() -> None:
    states = {600: 10_000, 601: 12_500, 602: 11_000}
    assert battery_flow(states, 600, 1) == 2500
    assert battery_flow(states, 601, 1) == -1500
    assert battery_flow(states, 602, 1) is None  # no state at the tick's end


def test_a_battery_reporting_rarely_has_its_change_spread_over_the_ticks_between() -> None:
    # Given states 3 ticks apart, +1,000 mWh
    states = {600: 0, 603: 1000}
    # Then 334, 333, 333: exact, over the three ticks
    assert [battery_flow(states, m, 1) for m in (600, 601, 602)] == [334, 333, 333]


def test_a_tick_with_nothing_of_the_house_is_not_judged() -> None:
    inputs = HourInputs(hour=10, consumption=[Spread(600, 1, 5)])
    assert tick_energy(inputs, 601, 1) is None
    assert tick_energy(inputs, 600, 1) == balance(5, 0, 0)


def test_an_hour_balances_each_tick_with_its_battery() -> None:
    # Given consumption each tick, a day-long production spread, and a battery that charges
    inputs = HourInputs(
        hour=12,
        consumption=[Spread(720 + i, 1, 1000) for i in range(3)],
        production=[Spread(0, 1440, 1440 * 3000)],
        batteries={"b-1": {720: 0, 721: 1500, 722: 3000, 723: 3000}},
    )
    # When the hour is computed
    ticks = hour_energies(inputs, 1)
    # Then every tick of the hour has production, the first three their consumption and flow
    assert len(ticks) == 60
    assert ticks[720] == HouseEnergy(
        consumptionMwh=1000, productionMwh=3000, batteryChargeMwh=1500, soldMwh=500
    )
    assert ticks[722].soldMwh == 2000 and ticks[725].soldMwh == 3000
    assert all(balanced(t) for t in ticks.values())


def test_readings_are_stored_in_their_hour_or_their_day() -> None:
    # Given a tick's consumption, a day-long production and a battery state at 11:00
    store = EnergyStore("EnergyTable", tick_minutes=1)
    readings: list[EnergyReading] = [
        ClientConsumption(houseId="h-1", communityId="c-1", timestamp="2026-03-05T10:59:00Z", mwh=5),
        ProductionReading(
            producerId="p-1",
            kind="house",
            houseId="h-1",
            communityId="c-1",
            timestamp="2026-03-05T00:00:00Z",
            durationMinutes=1440,
            mwh=99,
        ),
        ProductionReading(producerId="p-9", kind="utility", timestamp="2026-03-05T10:00:00Z", mwh=7),
        BatteryState(batteryId="b-1", houseId="h-1", timestamp="2026-03-05T11:00:00Z", storedMwh=42),
    ]
    # When placed (the house's community is carried by the readings, or asked)
    slots, touched = store.place(readings, lambda houses: {h: "c-1" for h in houses})
    # Then the tick in its hour, the day-long one in the day, the state in both hours it bounds
    assert {(s.sk, s.name, s.value) for s in slots} == {
        (HOUR_PREFIX + "2026-03-05T10", "r:c:659:1", 5),
        (DAY_PREFIX + "2026-03-05", "r:p:p-1:0:1440", 99),
        (HOUR_PREFIX + "2026-03-05T11", "r:b:b-1:660", 42),
        (HOUR_PREFIX + "2026-03-05T10", "r:b:b-1:660", 42),
    }
    # And the utility producer is no house's; the day's hours are all to recompute
    day = touched[("h-1", "2026-03-05")]
    assert day.hour_items == {10, 11} and day.covered == set(range(24)) and day.community == "c-1"


def test_a_state_at_midnight_bounds_the_last_tick_of_the_day_before() -> None:
    store = EnergyStore("EnergyTable", tick_minutes=1)
    state = BatteryState(batteryId="b-1", houseId="h-1", timestamp="2026-03-06T00:00:00Z", storedMwh=7)
    slots, touched = store.place([state], lambda houses: {})
    assert {(s.sk, s.name) for s in slots} == {
        (HOUR_PREFIX + "2026-03-06T00", "r:b:b-1:0"),
        (HOUR_PREFIX + "2026-03-05T23", "r:b:b-1:1440"),
    }
    assert touched[("h-1", "2026-03-05")].hour_items == {23}
    assert touched[("h-1", "2026-03-06")].community == "unassigned"


def test_an_hours_inputs_come_from_its_slots_and_the_days_long_readings() -> None:
    inputs = hour_inputs(
        10,
        {"r:c:600:1": 5, "r:b:b-1:600": 1, "r:b:b-1:601": 4, "community": "c-1"},
        {"r:p:p-1:0:1440": 1440, "e:10": {}, "v:10": "3/1"},
    )
    assert inputs.consumption == [Spread(600, 1, 5)]
    assert inputs.production == [Spread(0, 1440, 1440)]
    assert inputs.batteries == {"b-1": {600: 1, 601: 4}}
    assert tick_energy(inputs, 600, 1) == balance(5, 1, 3)
