"""The schedule benchmark's bounds: the min-cut bound is the LP's optimum, and never above a plan."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.lp_bound import cut_bound, lp_peak
from benchmarks.schedule_cases import case, naive, night_split
from smartgrid.flattening import Load, flatten


def test_the_min_cut_bound_equals_the_lp_optimum_on_the_flattened_level() -> None:
    # Given a community of 60 loads on a quarter-hour grid
    problem = case(60, 15, seed=7)
    flat = flatten(problem.base, problem.problem)
    # Then HiGHS's optimum, the min-cut bound and the optimiser's peak agree
    optimum = lp_peak(problem.base, problem.problem)
    assert cut_bound(problem.base, problem.problem, flat.level) == pytest.approx(optimum, rel=1e-9)
    assert flat.peak == pytest.approx(optimum, rel=1e-4)


def test_the_min_cut_bound_is_never_above_any_plan() -> None:
    # Given the level of a poor plan (every load as soon as it may)
    problem = case(60, 15, seed=8)
    for level in (naive(problem), night_split(problem)):
        # Then the bound taken from its level sets is still below every plan's peak
        bound = cut_bound(problem.base, problem.problem, level)
        assert bound <= lp_peak(problem.base, problem.problem) + 1e-6 <= float(np.max(level)) + 1e-6


def test_a_load_forced_into_one_slot_raises_the_bound_there() -> None:
    # Given a load that must run flat out in its only slot, over a flat base of 1 W
    loads = [Load(1, np.array([5.0]), 5.0)]
    assert cut_bound(np.ones(3), loads, np.array([1.0, 6.0, 1.0])) == 6.0
