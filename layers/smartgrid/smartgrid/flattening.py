"""Flattening a community's load with its schedulable objects (pure numerics, no time, no AWS).

The problem: slots 0..T-1 of equal length, a base load `base[t]` (W: the community's other
consumption minus its local production, so negative where production would be sold), and
loads that each must draw `need` (W·slots: energy / slot length) within their window, at
most `cap[t]` in slot t (the object's power, less where the slot is partly out of reach or
shed). Wanted: the lowest possible peak of base + loads.

The method: minimise the sum of squares of the level (base + loads) by block coordinate
descent, each block one load re-placed exactly by water filling against all the others.
The sum of squares is strictly convex in the level and the loads' constraints are separate,
so this converges to the flattest level; for these transportation-like constraints the
flattest level also has the lowest peak (valley filling: Gan, Topcu & Low, 2013), and it
puts energy first where the base is lowest, i.e. where local production would be sold.
Loads are placed first tightest first, which is already close; a few passes finish.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Vector = NDArray[np.float64]
MAX_PASSES = 60
# A pass that lowers the peak by less than this share of it, and moves little, ends the descent.
PEAK_TOLERANCE = 1e-4


@dataclass(frozen=True)
class Load:
    """One schedulable object on the slot grid: it may draw in [first, first + len(cap))."""

    first: int
    cap: Vector  # W it may draw in each slot of its window (0 where it may not)
    need: float  # W·slots to place (energy / slot length)

    @property
    def end(self) -> int:
        return self.first + len(self.cap)

    @property
    def slack(self) -> float:
        """How much room it has beyond its need, relative to its power (tight loads first)."""
        top = float(np.max(self.cap)) if len(self.cap) else 0.0
        return (float(self.cap.sum()) - self.need) / top if top > 0 else 0.0


def water_fill(level: Vector, cap: Vector, need: float) -> Vector:
    """The draw x (0 ≤ x ≤ cap, Σx = need) that raises the lowest parts of `level` first:
    x[t] = clip(λ - level[t], 0, cap[t]) for the one water line λ that places `need`.
    All of `cap` when it is not more than the need."""
    if need <= 0:
        return np.zeros_like(cap)
    if float(cap.sum()) <= need:
        return cap.copy()
    # f(λ) = Σ clip(λ - level, 0, cap) is piecewise linear: its slope rises by one at each
    # level[t] and falls by one at level[t] + cap[t] (where cap is 0 the two cancel).
    open_at = level[cap > 0]
    close_at = open_at + cap[cap > 0]
    events = np.concatenate((open_at, close_at))
    steps = np.concatenate((np.ones(len(open_at)), -np.ones(len(close_at))))
    order = np.argsort(events, kind="stable")
    events, steps = events[order], steps[order]
    slope = np.cumsum(steps)  # the slope just after each event
    filled = np.concatenate(([0.0], np.cumsum(slope[:-1] * np.diff(events))))  # f at each event
    k = int(np.searchsorted(filled, need, side="left")) - 1
    k = max(k, 0)
    while slope[k] <= 0:  # a flat stretch (all windows closed) before the line
        k += 1
    line = events[k] + (need - filled[k]) / slope[k]
    return np.clip(line - level, 0.0, cap)


@dataclass(frozen=True)
class Flattened:
    draws: list[Vector]  # each load's draw over its window
    level: Vector  # base + every draw
    passes: int
    seconds: float

    @property
    def peak(self) -> float:
        return float(np.max(self.level)) if len(self.level) else 0.0


def flatten(
    base: Vector, loads: list[Load], *, max_passes: int = MAX_PASSES, budget_seconds: float | None = None
) -> Flattened:
    """Every load placed so that base + loads is as flat as the windows allow."""
    started = time.perf_counter()
    level = np.array(base, dtype=np.float64, copy=True)
    draws: list[Vector] = [np.zeros_like(load.cap) for load in loads]
    for index in sorted(range(len(loads)), key=lambda i: (loads[i].slack, loads[i].first)):
        load = loads[index]
        window = level[load.first : load.end]
        draws[index] = water_fill(window, load.cap, load.need)
        window += draws[index]
    passes = 0
    peak = float(np.max(level)) if len(level) else 0.0
    for passes in range(1, max_passes + 1):  # noqa: B007 - the count is reported
        moved = 0.0
        for index, load in enumerate(loads):
            window = level[load.first : load.end]
            window -= draws[index]
            fresh = water_fill(window, load.cap, load.need)
            moved = max(moved, float(np.max(np.abs(fresh - draws[index]))) if len(fresh) else 0.0)
            draws[index] = fresh
            window += fresh
        lower = float(np.max(level))
        settled = peak - lower <= PEAK_TOLERANCE * max(abs(peak), 1.0)
        peak = lower
        out_of_time = budget_seconds is not None and time.perf_counter() - started > budget_seconds
        if (settled and moved <= PEAK_TOLERANCE * max(abs(peak), 1.0) * 10) or out_of_time:
            break
    return Flattened(draws, level, passes, time.perf_counter() - started)
