"""A community's schedulable objects planned together on its tick grid (pure: no AWS, no clock).

Each object still to run is a `Demand`: the energy it has left, its power, and its window
from now (or when it may start) to its deadline. The grid's slots are the ticks from now;
an object may draw in the part of a slot inside its window and outside every shedding. The
demands are placed by `flattening.flatten` over the community's expected other load, then
each draw is turned back into plan slots of exact whole mWh: a slot's energy is an integer,
the slots of a demand add up to its energy exactly, and no slot is above the power.

A demand that cannot finish by its deadline any more (a shedding took too much of its
window) gets its window stretched to the earliest it could finish; its plan says it is late.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction

import numpy as np
from numpy.typing import NDArray

from smartgrid.flattening import Load, Vector, flatten
from smartgrid.planning import SECONDS_PER_MWH_AT_1W, Slot, Window, joined, merged, place

Key = tuple[str, str]  # (house, object)
POWER_DECIMALS = 4  # a slot's power, rounded: off by far less than 1 mWh over an hour


@dataclass(frozen=True)
class Demand:
    key: Key
    energy_mwh: int
    power_w: float
    start: datetime
    deadline: datetime


@dataclass(frozen=True)
class SlotGrid:
    """Slots of `step` from `origin` (a tick boundary)."""

    origin: datetime
    step: timedelta
    count: int

    @classmethod
    def covering(cls, origin: datetime, step: timedelta, until: datetime) -> SlotGrid:
        return cls(origin, step, max(1, math.ceil((until - origin) / step)))

    def start(self, index: int) -> datetime:
        return self.origin + self.step * index

    def index_at(self, moment: datetime) -> int:
        """The slot that holds `moment` (clamped to the grid)."""
        return min(max(0, self.index_of(moment)), self.count - 1)

    def index_of(self, moment: datetime) -> int:
        """The slot that holds `moment`, on the grid or past its end."""
        return (moment - self.origin) // self.step

    def starts(self) -> list[datetime]:
        return [self.start(i) for i in range(self.count)]


def free_pieces(start: datetime, end: datetime, blocked: Sequence[Window]) -> list[tuple[datetime, datetime]]:
    """[start, end) less the blocked windows."""
    pieces: list[tuple[datetime, datetime]] = []
    moment = start
    for window in merged(blocked):
        if window.end <= moment or window.start >= end:
            continue
        if window.start > moment:
            pieces.append((moment, window.start))
        moment = max(moment, window.end)
    if moment < end:
        pieces.append((moment, end))
    return pieces


@dataclass(frozen=True)
class _Placed:
    """A demand on the grid: the seconds it may draw in each slot of its window."""

    demand: Demand
    first: int
    deadline: datetime  # its own, or later when it cannot finish by it
    seconds: NDArray[np.int64]
    blocked: tuple[Window, ...]  # the sheddings that cut into its window
    cut: frozenset[int]  # the offsets of the slots they cut into

    def pieces(self, grid: SlotGrid, offset: int) -> list[tuple[datetime, datetime]]:
        index = self.first + offset
        start = max(grid.start(index), self.demand.start)
        end = min(grid.start(index + 1), self.deadline)
        return free_pieces(start, end, self.blocked) if self.blocked else [(start, end)]


def _window(demand: Demand, grid: SlotGrid, blocked: Sequence[Window]) -> _Placed:
    deadline = demand.deadline
    reach = free_pieces(demand.start, deadline, blocked)
    room = sum(int((b - a).total_seconds()) for a, b in reach)
    if Fraction(room) * Fraction(str(demand.power_w)) / SECONDS_PER_MWH_AT_1W < demand.energy_mwh:
        deadline = place(demand.energy_mwh, demand.power_w, demand.start, blocked)[-1].end
    cutting = tuple(w for w in merged(blocked) if w.start < deadline and w.end > demand.start)
    first, last = grid.index_at(demand.start), grid.index_of(deadline - timedelta(microseconds=1))
    step = int(grid.step.total_seconds())
    seconds = np.full(last - first + 1, step, dtype=np.int64)
    seconds[0] -= int((demand.start - grid.start(first)).total_seconds())
    seconds[-1] -= int((grid.start(last + 1) - deadline).total_seconds())
    cut: set[int] = set()
    for window in cutting:  # a shedding takes its overlap out of each slot it covers
        a, b = max(window.start, demand.start), min(window.end, deadline)
        for index in range(grid.index_of(a), grid.index_of(b - timedelta(microseconds=1)) + 1):
            overlap = min(b, grid.start(index + 1)) - max(a, grid.start(index))
            seconds[index - first] -= int(overlap.total_seconds())
            cut.add(index - first)
    return _Placed(demand, first, deadline, seconds, cutting, frozenset(cut))


def as_loads(
    demands: Sequence[Demand], grid: SlotGrid, blocked: Sequence[Window]
) -> tuple[list[_Placed], list[Load]]:
    """The demands on the grid: where each may draw, and its load for `flatten` (a late
    demand's window may run past the grid's end)."""
    step_seconds = grid.step.total_seconds()
    placed = [_window(d, grid, blocked) for d in demands if d.energy_mwh > 0]
    loads = [
        Load(
            p.first,
            (p.demand.power_w / step_seconds) * p.seconds.astype(np.float64),
            p.demand.energy_mwh * float(SECONDS_PER_MWH_AT_1W) / step_seconds,
        )
        for p in placed
    ]
    return placed, loads


def plan_together(
    demands: Sequence[Demand], grid: SlotGrid, base_w: Vector, blocked: Sequence[Window]
) -> dict[Key, list[Slot]]:
    """Every demand's slots (from its start), placed so the community's load is as flat as
    their windows allow over `base_w` (W per grid slot: its other load and fixed plans)."""
    placed, loads = as_loads(demands, grid, blocked)
    last = max((load.end for load in loads), default=0)
    if last > grid.count:  # a late demand stretched past the grid: the level there is the base's mean
        base_w = np.concatenate((base_w, np.full(last - grid.count, float(np.mean(base_w)))))
    flat = flatten(base_w, loads)
    step_seconds = grid.step.total_seconds()
    return {
        p.demand.key: _slots(p, grid, draw, step_seconds) for p, draw in zip(placed, flat.draws, strict=True)
    }


# A slot's cap is P·s/3.6 rounded down: with P to 4 decimals and whole seconds, its fraction
# is a multiple of 1/180,000, so this nudge only ever lifts a float just below a whole number.
ROUNDING_NUDGE = 1e-7
MWH_SECONDS = float(SECONDS_PER_MWH_AT_1W)  # 1 mWh is 1 W for 3.6 s


def _slots(placed: _Placed, grid: SlotGrid, draw: Vector, step_seconds: float) -> list[Slot]:
    """A demand's draw (W averaged over each grid slot) as plan slots of whole mWh."""
    power = placed.demand.power_w
    caps = np.floor(power * placed.seconds / MWH_SECONDS + ROUNDING_NUDGE).astype(np.int64)
    energies = _whole(draw * step_seconds / MWH_SECONDS, caps, placed.demand.energy_mwh)
    drawing = energies > 0
    powers = np.zeros(len(energies))
    powers[drawing] = np.minimum(
        power, np.round(energies[drawing] * MWH_SECONDS / placed.seconds[drawing], POWER_DECIMALS)
    )
    # A slot at its cap draws the full power: its energy is the cap before rounding down (a
    # fraction of a mWh more), so an object that must run flat out is planned at its power.
    powers[drawing & (energies >= caps)] = power
    # Runs of slots at one power become one slot (a slot cut by a shedding stays apart)
    change = np.flatnonzero(np.diff(powers) != 0) + 1
    slots: list[Slot] = []
    for first, end in zip([0, *change.tolist()], [*change.tolist(), len(powers)], strict=True):
        if not drawing[first]:
            continue
        slot_power = float(powers[first])
        whole = [o for o in range(first, end) if o in placed.cut]
        if not whole:
            start = max(grid.start(placed.first + first), placed.demand.start)
            stop = min(grid.start(placed.first + end), placed.deadline)
            slots.append(Slot(start, stop, slot_power))
            continue
        for offset in range(first, end):
            slots.extend(Slot(a, b, slot_power) for a, b in placed.pieces(grid, offset))
    return joined(slots)


def _whole(wanted: Vector, caps: NDArray[np.int64], total: int) -> NDArray[np.int64]:
    """Whole numbers near `wanted`, each within its cap, adding up to `total`: rounded down,
    then a unit more to the largest remainders (or a unit less from the smallest), then
    whatever is still missing wherever there is room."""
    whole = np.minimum(caps, np.maximum(0, np.floor(wanted))).astype(np.int64)
    left = total - int(whole.sum())
    if left > 0:
        room = np.flatnonzero(whole < caps)
        by_remainder = room[np.argsort(-(wanted[room] - whole[room]), kind="stable")][:left]
        whole[by_remainder] += 1
    elif left < 0:
        some = np.flatnonzero(whole > 0)
        by_remainder = some[np.argsort(wanted[some] - whole[some], kind="stable")][:-left]
        whole[by_remainder] -= 1
    left = total - int(whole.sum())
    for i in range(len(whole)):  # what rounding could not place: wherever there is room
        if left == 0:
            break
        change = min(int(caps[i] - whole[i]), left) if left > 0 else -min(int(whole[i]), -left)
        whole[i] += change
        left -= change
    return whole


def level_with(base_w: Vector, grid: SlotGrid, plans: Sequence[Sequence[Slot]]) -> Vector:
    """The base plus the plans' power, averaged over each grid slot."""
    level = np.array(base_w, dtype=np.float64, copy=True)
    add_plans(level, grid, plans)
    return level


def add_plans(level: Vector, grid: SlotGrid, plans: Sequence[Sequence[Slot]]) -> None:
    step_seconds = grid.step.total_seconds()
    end = grid.start(grid.count)
    for slots in plans:
        for slot in slots:
            part = slot.clipped(grid.origin, end)
            if part is None:
                continue
            for index in range(
                grid.index_at(part.start), grid.index_at(part.end - timedelta(microseconds=1)) + 1
            ):
                piece = part.clipped(grid.start(index), grid.start(index + 1))
                if piece is not None:
                    level[index] += piece.power_w * piece.seconds / step_seconds


ForecastW = Callable[[SlotGrid], Vector]
