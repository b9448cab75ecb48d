"""Flattening a community's load: each case against the lowest peak it can have."""

from __future__ import annotations

import numpy as np
import pytest

from smartgrid.flattening import Load, flatten, water_fill


def load(first: int, width: int, power: float, need: float) -> Load:
    return Load(first, np.full(width, power), need)


def test_water_fill_raises_the_lowest_slots_first_within_the_power() -> None:
    # Given a level with a valley, and a load of 3 W·slots at 2 W at most
    level = np.array([5.0, 1.0, 2.0, 6.0])
    # When it is water-filled
    draw = water_fill(level, np.full(4, 2.0), 3.0)
    # Then the valley is filled to one line (3.0): 2 W in slot 1, 1 W in slot 2
    assert draw.tolist() == pytest.approx([0.0, 2.0, 1.0, 0.0])


def test_water_fill_takes_everything_when_the_need_is_all_it_can() -> None:
    assert water_fill(np.zeros(3), np.array([1.0, 0.0, 2.0]), 3.0).tolist() == [1.0, 0.0, 2.0]


def test_a_single_load_fills_the_valley_of_the_base() -> None:
    # Given an evening peak in the base and a car of 12 W·slots at 4 W
    base = np.array([8.0, 8.0, 2.0, 1.0, 1.0, 2.0])
    # When it is placed over the whole day
    flat = flatten(base, [load(0, 6, 4.0, 12.0)])
    # Then it charges at night only, and the night rises to one flat level under the peak
    assert flat.draws[0].tolist() == pytest.approx([0.0, 0.0, 2.5, 3.5, 3.5, 2.5])
    assert flat.level.tolist() == pytest.approx([8.0, 8.0, 4.5, 4.5, 4.5, 4.5])
    assert flat.peak == 8.0


def test_identical_windows_share_the_water_line_exactly() -> None:
    # Given ten identical loads over a flat base: the optimum spreads them evenly
    loads = [load(0, 10, 5.0, 20.0) for _ in range(10)]
    flat = flatten(np.zeros(10), loads)
    # Then the level is flat at 200 / 10 = 20 W, every load exact
    assert flat.level.tolist() == pytest.approx([20.0] * 10)
    assert [float(d.sum()) for d in flat.draws] == pytest.approx([20.0] * 10)


def test_nested_windows_leave_the_short_one_its_room() -> None:
    # Given a wide load and one nested in the middle that must run at full power
    wide, narrow = load(0, 6, 10.0, 12.0), load(2, 2, 3.0, 6.0)
    flat = flatten(np.zeros(6), [wide, narrow])
    # Then the narrow one takes its two slots and the wide one flattens around it: 3 W everywhere
    assert flat.draws[1].tolist() == pytest.approx([3.0, 3.0])
    assert flat.level.tolist() == pytest.approx([3.0] * 6)


def test_disjoint_windows_do_not_touch_each_other() -> None:
    flat = flatten(np.array([1.0, 0.0, 5.0, 0.0]), [load(0, 2, 9.0, 3.0), load(2, 2, 9.0, 1.0)])
    assert flat.draws[0].tolist() == pytest.approx([1.0, 2.0])
    assert flat.draws[1].tolist() == pytest.approx([0.0, 1.0])
    assert flat.peak == 5.0


def test_a_load_that_cannot_fit_takes_all_its_window_allows() -> None:
    # Given a need larger than the window at full power (the caller stretches such windows)
    flat = flatten(np.zeros(3), [load(0, 3, 2.0, 10.0)])
    # Then it draws its full power throughout, never more
    assert flat.draws[0].tolist() == [2.0, 2.0, 2.0]


def test_mixed_windows_reach_the_lower_bound_of_the_peak() -> None:
    # Given overlapping windows whose best peak is known: 30 W·slots in slots 1..3 at most
    # ... plus a base of 4 W there, over 3 slots: no plan can do better than 14 W
    base = np.array([0.0, 4.0, 4.0, 4.0, 0.0])
    loads = [load(1, 3, 20.0, 10.0), load(1, 3, 20.0, 20.0), load(0, 5, 20.0, 5.0)]
    flat = flatten(base, loads)
    assert flat.peak == pytest.approx(14.0, abs=1e-6)
    assert [float(d.sum()) for d in flat.draws] == pytest.approx([10.0, 20.0, 5.0])
