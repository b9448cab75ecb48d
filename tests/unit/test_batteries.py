"""Battery physics without AWS: a state is judged against the latest accepted one (capacity,
rates over the time since, time order), and the simulated battery charges from a surplus and
is drawn on a deficit within the same bounds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from smartgrid.access import OwnerLookup, Principal, Role
from smartgrid.batteries import (
    BATTERY_OWNER,
    ROUNDING_TOLERANCE_MWH,
    BatterySpec,
    State,
    Verdict,
    battery_id_of,
    house_of,
    judge,
    max_energy_mwh,
    reachable,
)
from smartgrid.errors import Conflict, Unprocessable
from smartgrid.simulation.house import HouseReading, SimBattery, battery_states, battery_step
from smartgrid.simulation.timeline import Interval

T0 = datetime(2026, 3, 1, 10, tzinfo=UTC)
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
SCENARIO = BatterySpec(capacity_mwh=5_000_000, max_charge_w=1000, max_discharge_w=1000)  # scenario 3
DEFAULT = BatterySpec(capacity_mwh=1_000_000, max_charge_w=50, max_discharge_w=50)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


# Bounds -----------------------------------------------------------------------------------
def test_a_rate_over_a_time_is_rounded_down_to_the_mwh() -> None:
    assert max_energy_mwh(1000, 60) == 1_000_000
    assert max_energy_mwh(50, 1) == 833  # 833.33 mWh
    assert max_energy_mwh(33.3333, 60) == 33_333
    # The bound of a sum is at least the sum of the bounds (a simulator that sums ticks stays inside)
    assert sum(max_energy_mwh(50, 1) for _ in range(60)) <= max_energy_mwh(50, 60)


def test_what_is_reachable_is_bounded_by_the_rates_and_the_capacity() -> None:
    previous = State(T0, 4_900_000)
    assert reachable(SCENARIO, previous, at(10)) == (4_900_000 - 166_666, 5_000_000)
    assert reachable(SCENARIO, State(T0, 100_000), at(60)) == (0, 1_100_000)


# Judging a state ---------------------------------------------------------------------------
def test_the_first_state_needs_only_to_be_within_capacity() -> None:
    assert judge(DEFAULT, None, State(T0, 1_000_000), None, NOW) is Verdict.ACCEPTED
    with pytest.raises(Unprocessable) as above:
        judge(DEFAULT, None, State(T0, 1_000_001), None, NOW)
    assert above.value.field == "storedWh" and "1000.0 Wh" in above.value.message
    with pytest.raises(Unprocessable) as below:
        judge(DEFAULT, None, State(T0, -1), None, NOW)
    assert below.value.field == "storedWh"


def test_a_change_within_the_rates_is_accepted_and_faster_is_refused_with_the_range() -> None:
    previous = State(T0, 2_000_000)
    # 1,000 W for ten minutes: 166.666 Wh either way, and a few mWh of rounding
    for mwh in (2_166_666, 2_166_666 + ROUNDING_TOLERANCE_MWH, 1_833_334, 1_833_334 - ROUNDING_TOLERANCE_MWH):
        assert judge(SCENARIO, previous, State(at(10), mwh), None, NOW) is Verdict.ACCEPTED
    for mwh in (2_166_666 + ROUNDING_TOLERANCE_MWH + 1, 1_833_334 - ROUNDING_TOLERANCE_MWH - 1):
        with pytest.raises(Unprocessable) as refused:
            judge(SCENARIO, previous, State(at(10), mwh), None, NOW)
        assert refused.value.field == "storedWh"
        assert "between 1833.334 and 2166.666 Wh" in refused.value.message
        assert "10 min before" in refused.value.message


def test_charge_and_discharge_rates_are_each_their_own() -> None:
    slow_out = BatterySpec(capacity_mwh=5_000_000, max_charge_w=1000, max_discharge_w=100)
    previous = State(T0, 2_000_000)
    assert judge(slow_out, previous, State(at(60), 3_000_000), None, NOW) is Verdict.ACCEPTED
    with pytest.raises(Unprocessable):
        judge(slow_out, previous, State(at(60), 1_800_000), None, NOW)


def test_the_same_state_again_is_a_duplicate_and_a_different_one_a_conflict() -> None:
    previous = State(at(5), 300)
    assert judge(DEFAULT, previous, State(at(5), 300), None, NOW) is Verdict.DUPLICATE
    assert judge(DEFAULT, previous, State(at(1), 200), 200, NOW) is Verdict.DUPLICATE
    with pytest.raises(Conflict) as different:
        judge(DEFAULT, previous, State(at(5), 301), None, NOW)
    assert different.value.field == "timestamp" and "a different state" in different.value.message
    with pytest.raises(Conflict) as older:
        judge(DEFAULT, previous, State(at(1), 200), None, NOW)
    assert "time order" in older.value.message
    with pytest.raises(Conflict):
        judge(DEFAULT, previous, State(at(1), 201), 200, NOW)


def test_a_state_in_the_grids_future_is_refused() -> None:
    with pytest.raises(Unprocessable) as future:
        judge(DEFAULT, None, State(NOW + timedelta(minutes=1), 0), None, NOW)
    assert future.value.field == "timestamp"
    assert judge(DEFAULT, None, State(NOW, 0), None, NOW) is Verdict.ACCEPTED


# Who owns a battery -------------------------------------------------------------------------
def test_a_battery_is_its_houses_and_only_its_houses() -> None:
    owners = OwnerLookup(lambda _: None, lambda _: None)
    house = "h-0123456789ab"
    assert house_of(battery_id_of(house)) == house and house_of("x-1") is None
    path = {"batteryId": battery_id_of(house)}
    assert BATTERY_OWNER.admits(Principal(Role.HOUSE, house, house), path, owners)
    assert not BATTERY_OWNER.admits(Principal(Role.HOUSE, "h-other", "h-other"), path, owners)
    assert not BATTERY_OWNER.admits(Principal(Role.PRODUCER, f"p-{house}", house), path, owners)


# The simulated battery ----------------------------------------------------------------------
def test_a_surplus_charges_and_a_deficit_draws_within_every_bound() -> None:
    # 50 W for an hour moves at most 50 Wh
    assert battery_step(DEFAULT, 0, 20_000, 60) == 20_000
    assert battery_step(DEFAULT, 0, 80_000, 60) == 50_000  # a surplus over the rate is only partly stored
    assert battery_step(DEFAULT, 990_000, 20_000, 60) == 1_000_000  # never above capacity
    assert battery_step(DEFAULT, 500_000, -20_000, 60) == 480_000
    assert battery_step(DEFAULT, 500_000, -80_000, 60) == 450_000  # never faster than it discharges
    assert battery_step(DEFAULT, 10_000, -20_000, 60) == 0  # never below zero
    assert battery_step(DEFAULT, 10_000, 0, 1) == 10_000


def reading(start: datetime, minutes: int, consumed: int, produced: int) -> HouseReading:
    return HouseReading(Interval(start, minutes), {"fridge": consumed}, produced)


def sim_battery(installed: datetime = T0) -> SimBattery:
    return SimBattery(
        batteryId="b-h-0123456789ab",
        capacityMwh=5_000_000,
        maxChargeW=1000,
        maxDischargeW=1000,
        initialMwh=0,
        installedAt=installed.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


def test_the_simulated_battery_reports_a_state_at_each_intervals_end_that_the_grid_accepts() -> None:
    # Given a sunny hour then an evening hour, in ticks, from an empty battery
    readings = [reading(at(m), 1, 2_000, 30_000) for m in range(60)]  # +28 Wh a minute: over 1,000 W
    readings += [reading(at(60 + m), 1, 25_000, 0) for m in range(60)]  # -25 Wh a minute: over 1,000 W
    states = battery_states(sim_battery(), 0, readings)
    # Then a state at the end of every tick, charged at its rate then drawn at its rate
    assert [s.at for s in states] == [r.interval.end for r in readings]
    assert states[59].mwh == 60 * max_energy_mwh(1000, 1) == 999_960
    assert states[-1].mwh == 0
    # And every one is accepted by the grid's judge, in order
    previous = State(T0, 0)
    for state in states:
        assert judge(SCENARIO, previous, state, None, at(200)) is Verdict.ACCEPTED
        previous = state


def test_intervals_before_the_battery_was_fitted_leave_it_alone() -> None:
    installed = at(30)
    hourly = [reading(T0, 60, 0, 2_000_000), reading(at(60), 60, 0, 2_000_000)]
    states = battery_states(sim_battery(installed), 0, [reading(at(-60), 60, 0, 1_000), *hourly])
    # The hour before is skipped; the straddling hour counts its 30 minutes (half its surplus, at most
    # 500 Wh at 1,000 W); the next a full hour
    assert [(s.at, s.mwh) for s in states] == [(at(60), 500_000), (at(120), 1_500_000)]
    assert judge(SCENARIO, State(installed, 0), states[0], None, NOW) is Verdict.ACCEPTED
