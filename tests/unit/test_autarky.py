"""Autarky: what a tick counts (own supply, consumption), window sums, the hysteresis, and the
changes a run of ticks decides."""

from __future__ import annotations

from datetime import datetime, timedelta

from smartgrid.autarky import (
    Energy,
    Hysteresis,
    SubjectState,
    Window,
    decide,
    house_energy,
)
from smartgrid.events import HouseEnergy
from smartgrid.gridtime import iso, parse_instant

T0 = parse_instant("2026-03-05T10:00:00Z")
RULE = Hysteresis(loss_percent=3)


def minute(n: int) -> datetime:
    return T0 + timedelta(minutes=n)


# What a tick counts ----------------------------------------------------------------------
def test_battery_discharge_counts_as_own_production_and_buying_does_not() -> None:
    # Given a house drawing 1,000 mWh: 400 from its panels, 500 from its battery, 100 bought
    tick = HouseEnergy(consumptionMwh=1000, productionMwh=400, batteryDischargeMwh=500, boughtMwh=100)
    # Then its own supply is 900: the battery counts, the grid does not
    assert house_energy(tick) == Energy(supply=900, consumption=1000)


def test_charging_from_own_surplus_is_taken_off_its_supply_not_added_to_its_use() -> None:
    # Given panels giving 3,000 mWh, 1,000 consumed, 1,500 stored, 500 sold
    tick = HouseEnergy(consumptionMwh=1000, productionMwh=3000, batteryChargeMwh=1500, soldMwh=500)
    # Then its own supply is what it did not store: 1,500, still covering its consumption
    assert house_energy(tick) == Energy(supply=1500, consumption=1000)


def test_energy_stored_then_given_back_counts_once_over_a_window() -> None:
    # Given a noon tick storing 1,000 of a surplus and an evening tick drawing it back
    noon = house_energy(HouseEnergy(consumptionMwh=1000, productionMwh=2000, batteryChargeMwh=1000))
    evening = house_energy(HouseEnergy(consumptionMwh=1000, batteryDischargeMwh=1000))
    # Then over both, own supply is the 2,000 produced, exactly the 2,000 consumed
    assert noon + evening == Energy(supply=2000, consumption=2000)


def test_coverage_is_supply_over_consumption_to_a_tenth_of_a_percent() -> None:
    assert Energy(supply=2, consumption=3).coverage_percent() == 66.7
    assert Energy(supply=5, consumption=0).coverage_percent() is None


# Window sums ------------------------------------------------------------------------------
def test_a_window_sums_its_ticks_only_and_missing_ticks_count_zero() -> None:
    # Given ticks at minutes 0..4, each supplying n and consuming 10
    by_tick = {minute(n): Energy(supply=n, consumption=10) for n in range(5)}
    # When a window of 3 ticks ends at minute 4
    window = Window(minute(4), ticks=3, tick_minutes=1)
    # Then it sums minutes 2, 3 and 4, and covers 10:02 to 10:05
    assert window.sum(by_tick) == Energy(supply=9, consumption=30)
    assert (window.start, window.end, window.minutes) == ("2026-03-05T10:02:00Z", "2026-03-05T10:05:00Z", 3)
    # And a window reaching before the first tick counts the missing ones as 0
    assert Window(minute(1), ticks=3, tick_minutes=1).sum(by_tick) == Energy(supply=1, consumption=20)


# Hysteresis -------------------------------------------------------------------------------
def test_a_house_becomes_autarkic_at_full_coverage_and_not_before() -> None:
    assert RULE.next_state(False, Energy(supply=999, consumption=1000)) is False
    assert RULE.next_state(False, Energy(supply=1000, consumption=1000)) is True


def test_an_autarkic_house_keeps_it_down_to_the_lower_bound_and_loses_it_below() -> None:
    # Given the default 3 %: autarky holds from 97 % up
    assert RULE.next_state(True, Energy(supply=970, consumption=1000)) is True
    assert RULE.next_state(True, Energy(supply=969, consumption=1000)) is False


def test_an_empty_window_changes_nothing_and_a_window_drawing_only_to_charge_is_not_covered() -> None:
    assert RULE.next_state(False, Energy()) is False
    assert RULE.next_state(True, Energy()) is True
    assert RULE.next_state(False, Energy(supply=1, consumption=0)) is True
    assert RULE.next_state(True, Energy(supply=-1, consumption=0)) is False


# Decisions over a run of ticks ------------------------------------------------------------
def test_a_coverage_hovering_around_full_changes_once_not_every_tick() -> None:
    # Given one-tick windows alternating 100 % and 98 % coverage
    ticks = [minute(n) for n in range(6)]
    by_tick = {t: Energy(supply=1000 if n % 2 == 0 else 980, consumption=1000) for n, t in enumerate(ticks)}
    # When the run is decided
    changes = decide(["house#h"], ticks, {"house#h": by_tick}, {}, RULE, window_ticks=1, tick_minutes=1)
    # Then the house became autarkic once, at the first tick, and never flapped
    assert [(c.tick, c.autarkic) for c in changes] == [(iso(ticks[0]), True)]


def test_a_rolling_window_gains_then_loses_with_the_sums_that_decided_it() -> None:
    # Given a window of 3 ticks: deficits, then surpluses, then deficits again
    supply = [0, 0, 3000, 3000, 3000, 0, 0, 0]
    ticks = [minute(n) for n in range(len(supply))]
    by_tick = {t: Energy(supply=s, consumption=1000) for t, s in zip(ticks, supply, strict=True)}
    # When decided
    changes = decide(["house#h"], ticks, {"house#h": by_tick}, {}, RULE, window_ticks=3, tick_minutes=1)
    # Then it gains when its 3-tick window first reaches 100 % (minute 2: 3,000 for 3,000)
    # and loses when the window falls below 97 % (minute 6: 3,000 for 3,000 holds; minute 7: 0)
    assert [(c.tick, c.autarkic, c.window) for c in changes] == [
        (iso(minute(2)), True, Energy(supply=3000, consumption=3000)),
        (iso(minute(7)), False, Energy(supply=0, consumption=3000)),
    ]
    assert (changes[0].window_start, changes[0].window_end) == (
        "2026-03-05T10:00:00Z",
        "2026-03-05T10:03:00Z",
    )


def test_a_run_redone_after_a_crash_skips_the_ticks_a_subject_already_changed_at() -> None:
    # Given a house that an earlier attempt found autarkic at minute 1 (stored), in a run 0..3
    ticks = [minute(n) for n in range(4)]
    by_tick = {t: Energy(supply=2000, consumption=1000) for t in ticks}
    stored = {"house#h": SubjectState(autarkic=True, since="2026-03-05T10:02:00Z", tick=iso(minute(1)))}
    # When the run is decided again
    changes = decide(["house#h"], ticks, {"house#h": by_tick}, stored, RULE, window_ticks=1, tick_minutes=1)
    # Then no change is decided twice
    assert changes == []
