"""A community's plans on its tick grid: whole mWh, windows, sheddings, late plans, forecast."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

import numpy as np

from smartgrid.communityplan import Demand, SlotGrid, plan_together
from smartgrid.loadforecast import expected_other_w
from smartgrid.planning import Slot, Window, energy_between

T0 = datetime(2026, 3, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)
QUARTER = timedelta(minutes=15)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def total(slots: list[Slot]) -> Fraction:
    return sum((s.energy() for s in slots), Fraction(0))


def test_every_plan_holds_its_energy_to_the_mwh_and_never_above_its_power() -> None:
    # Given three objects with awkward energies on a quarter-hour grid
    grid = SlotGrid.covering(T0, QUARTER, at(8))
    demands = [
        Demand(("h1", "ev"), 7_777_777, 2300.0, T0, at(8)),
        Demand(("h2", "ev"), 1_234_567, 1100.0, at(1), at(5)),
        Demand(("h3", "heater"), 999, 3000.0, at(2), at(3)),
    ]
    # When they are planned together
    plans = plan_together(demands, grid, np.zeros(grid.count), [])
    # Then each holds exactly its energy, within its window, at most its power
    for demand in demands:
        slots = plans[demand.key]
        assert round(total(slots)) == demand.energy_mwh
        assert slots[0].start >= demand.start and slots[-1].end <= demand.deadline
        assert max(s.power_w for s in slots) <= demand.power_w


def test_a_shedding_empties_its_window_and_the_plan_still_finishes() -> None:
    grid = SlotGrid.covering(T0, QUARTER, at(6))
    shed = Window(at(1), at(2))
    plans = plan_together(
        [Demand(("h", "ev"), 6_000_000, 2000.0, T0, at(6))], grid, np.zeros(grid.count), [shed]
    )
    slots = plans[("h", "ev")]
    assert energy_between(slots, at(1), at(2)) == 0
    assert round(total(slots)) == 6_000_000 and slots[-1].end <= at(6)
    # And the rest is flat: 6 kWh over the 5 hours left
    assert {s.power_w for s in slots} == {1200.0}


def test_a_plan_that_can_no_longer_finish_by_its_deadline_runs_late_at_full_power() -> None:
    # Given 4 kWh at 2 kW by 02:00, and a shedding from 00:00 to 01:00
    grid = SlotGrid.covering(T0, QUARTER, at(2))
    plans = plan_together(
        [Demand(("h", "ev"), 4_000_000, 2000.0, T0, at(2))], grid, np.zeros(grid.count), [Window(T0, at(1))]
    )
    # Then it runs at full power from the end of the shedding, finishing an hour late
    assert plans[("h", "ev")] == [Slot(at(1), at(3), 2000.0)]


def test_a_start_inside_a_tick_draws_only_in_the_part_after_it() -> None:
    grid = SlotGrid.covering(T0, QUARTER, at(1))
    start = T0 + timedelta(minutes=5)
    plans = plan_together([Demand(("h", "lamp"), 500_000, 1000.0, start, at(1))], grid, np.zeros(4), [])
    slots = plans[("h", "lamp")]
    assert slots[0].start == start and round(total(slots)) == 500_000


def test_plans_fill_the_hours_where_production_would_be_sold_first() -> None:
    # Given a base that is negative at midday (solar sold) and positive otherwise
    grid = SlotGrid.covering(at(10), HOUR, at(16))
    base = np.array([500.0, -1000.0, -1500.0, -1000.0, 500.0, 800.0])
    plans = plan_together([Demand(("h", "pump"), 2_000_000, 1000.0, at(10), at(16))], grid, base, [])
    slots = plans[("h", "pump")]
    # Then the pump runs in the three sunny hours only
    assert energy_between(slots, at(10), at(11)) == 0 and energy_between(slots, at(14), at(16)) == 0
    assert round(total(slots)) == 2_000_000


def test_the_forecast_is_the_mean_other_load_at_each_time_of_day() -> None:
    # Given two days of history at 10:00 (net 1,000 and 3,000 W over a 15-minute tick) and a
    # plan that drew 1,000 W then on the second day
    history = {date(2026, 2, 27): {"10:00": 250_000}, date(2026, 2, 28): {"10:00": 750_000}}
    plan = [Slot(datetime(2026, 2, 28, 10, tzinfo=UTC), datetime(2026, 2, 28, 10, 15, tzinfo=UTC), 1000.0)]
    grid = SlotGrid(at(10), QUARTER, 2)
    # When the forecast is asked for 10:00 and 10:15 today
    expected = expected_other_w(grid, history, [plan], now=T0)
    # Then 10:00 expects the mean other load, (1,000 + 2,000) / 2; 10:15 was never seen
    assert expected.tolist() == [1500.0, 0.0]
