"""Production follows consumption: when a frame is off balance, and how a margin is shared."""

from __future__ import annotations

from smartgrid.adapter import Producing, share
from smartgrid.balance import Tolerance, imbalance
from smartgrid.events import ElectricityFrame, FrameTotals

T = "2026-03-05T10:00:00Z"


def frame(consumption_mwh: int, production_mwh: int) -> ElectricityFrame:
    return ElectricityFrame(
        frameStart=T,
        durationMinutes=1,
        grid=FrameTotals(
            consumptionMwh=consumption_mwh,
            productionMwh=production_mwh,
            utilityProductionMwh=production_mwh,
        ),
        communities={},
    )


def test_a_frame_within_one_percent_of_its_consumption_is_balanced() -> None:
    # 6000 W consumed: 1 % is 60 W
    assert imbalance(frame(100_000, 99_000), Tolerance()) is None  # 60 W off
    adapt = imbalance(frame(100_000, 98_900), Tolerance())  # 66 W off
    assert adapt is not None and adapt.marginW == 66.0


def test_a_small_grid_is_not_chased_below_the_floor() -> None:
    # 60 W consumed, 1 W produced: 59 W off, over 1 % but the floor is 100 W here
    assert imbalance(frame(1000, 17), Tolerance(1, 100)) is None
    assert imbalance(frame(1000, 17), Tolerance(1, 5)) is not None


def test_the_margin_is_consumption_minus_production_in_w() -> None:
    too_little = imbalance(frame(100_000, 60_000), Tolerance())
    too_much = imbalance(frame(100_000, 130_000), Tolerance())
    assert too_little is not None and too_much is not None
    assert (too_little.marginW, too_little.consumptionW, too_little.productionW) == (2400.0, 6000.0, 3600.0)
    assert too_much.marginW == -1800.0


def test_an_increase_goes_first_to_the_producer_producing_least() -> None:
    producers = [Producing("p-a", 2400, 5000), Producing("p-b", 1200, 3000), Producing("p-c", 4000, 4000)]
    # When 2400 W more are needed
    shares = share(producers, 2400)
    # Then p-b (least) fills up to its limit, p-a takes the rest, p-c (at its limit) is unchanged
    assert shares.setpoints == {"p-a": 3000.0, "p-b": 3000.0, "p-c": 4000.0}
    assert shares.shortfallW == 0


def test_an_increase_the_limits_cannot_cover_leaves_a_shortfall() -> None:
    shares = share([Producing("p-a", 2400, 5000), Producing("p-b", 1200, 3000)], 9000)
    assert shares.setpoints == {"p-a": 5000.0, "p-b": 3000.0}
    assert shares.shortfallW == 4600.0


def test_a_decrease_starts_with_the_producer_producing_most() -> None:
    producers = [Producing("p-a", 2400, 5000), Producing("p-b", 1200, 3000)]
    assert share(producers, -3000).setpoints == {"p-a": 0.0, "p-b": 600.0}
    surplus = share(producers, -5000)
    assert surplus.setpoints == {"p-a": 0.0, "p-b": 0.0} and surplus.surplusW == 1400.0


def test_a_producer_above_its_limit_comes_down_and_the_others_make_up() -> None:
    # Given p-a producing 4000 W with a limit lowered to 3000 W, and no margin
    shares = share([Producing("p-a", 4000, 3000), Producing("p-b", 1000, 5000)], 0)
    # Then p-a comes down to its limit and p-b takes the 1000 W
    assert shares.setpoints == {"p-a": 3000.0, "p-b": 2000.0}


def test_no_producer_at_all_is_a_shortfall_of_the_whole_margin() -> None:
    shares = share([], 1500)
    assert shares.setpoints == {} and shares.shortfallW == 1500.0
