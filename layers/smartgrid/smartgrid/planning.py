"""Placing a schedulable object's energy in time (pure: no AWS, no clock).

A plan is a list of slots, each a constant power over [start, end), on whole seconds. `place`
fills the earliest time it may, at the object's full power, around the windows where the
object's community is shed (a peak, a producer limit, staff by hand): what a late plan, or
an owner's fixed one moved out of a shedding, does. Plans that flatten the community's
load are `communityplan`'s.

Energies are exact: a slot of P W over s seconds holds P * s / 3.6 mWh, kept as a fraction;
a plan's last slot is rounded up to the second, so a plan holds at least its energy.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction

SECONDS_PER_MWH_AT_1W = Fraction(36, 10)  # 1 mWh is 1 W for 3.6 s


@dataclass(frozen=True, order=True)
class Window:
    """A span of time in which the object may not draw: [start, end)."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    power_w: float

    @property
    def seconds(self) -> int:
        return int((self.end - self.start).total_seconds())

    def energy(self) -> Fraction:
        """The slot's energy in mWh, exact."""
        return Fraction(str(self.power_w)) * self.seconds / SECONDS_PER_MWH_AT_1W

    def clipped(self, start: datetime, end: datetime) -> Slot | None:
        first, last = max(self.start, start), min(self.end, end)
        return Slot(first, last, self.power_w) if first < last else None


def seconds_for(energy_mwh: Fraction | int, power_w: float) -> int:
    """Whole seconds at `power_w` that deliver at least `energy_mwh`."""
    if energy_mwh <= 0:
        return 0
    return math.ceil(Fraction(energy_mwh) * SECONDS_PER_MWH_AT_1W / Fraction(str(power_w)))


def merged(windows: Iterable[Window]) -> list[Window]:
    """Windows sorted, overlapping and touching ones joined."""
    joined: list[Window] = []
    for window in sorted(windows):
        if joined and window.start <= joined[-1].end:
            last = joined[-1]
            joined[-1] = Window(last.start, max(last.end, window.end))
        else:
            joined.append(window)
    return joined


def place(
    energy_mwh: Fraction | int, power_w: float, start: datetime, blocked: Sequence[Window]
) -> list[Slot]:
    """The earliest slots from `start` at `power_w` that avoid `blocked` and hold the energy."""
    needed = seconds_for(energy_mwh, power_w)
    slots: list[Slot] = []
    moment = start
    for window in merged(blocked):
        if needed == 0:
            break
        if window.end <= moment:
            continue
        if window.start > moment:
            run = min(needed, int((window.start - moment).total_seconds()))
            slots.append(Slot(moment, moment + timedelta(seconds=run), power_w))
            needed -= run
        moment = max(moment, window.end)
    if needed:
        slots.append(Slot(moment, moment + timedelta(seconds=needed), power_w))
    return slots


def energy_between(slots: Iterable[Slot], start: datetime, end: datetime) -> Fraction:
    """The planned energy (mWh, exact) in [start, end)."""
    total = Fraction(0)
    for slot in slots:
        part = slot.clipped(start, end)
        if part is not None:
            total += part.energy()
    return total


def replan(
    slots: Sequence[Slot],
    energy_mwh: int,
    power_w: float,
    earliest: datetime,
    now: datetime,
    blocked: Sequence[Window],
) -> list[Slot]:
    """A plan again from `now`: what was planned before `now` stays (a started slot never
    moves, it is only cut at `now`); the energy left is placed again, avoiding `blocked`."""
    kept = [part for slot in slots if (part := slot.clipped(slot.start, min(slot.end, now))) is not None]
    left = energy_mwh - sum((s.energy() for s in kept), Fraction(0))
    return joined([*kept, *place(left, power_w, max(now, earliest), blocked)])


def joined(slots: Sequence[Slot]) -> list[Slot]:
    """Slots in order, a slot that starts where the previous ends at the same power merged into it."""
    out: list[Slot] = []
    for slot in sorted(slots, key=lambda s: s.start):
        if out and out[-1].end == slot.start and out[-1].power_w == slot.power_w:
            out[-1] = Slot(out[-1].start, slot.end, slot.power_w)
        else:
            out.append(slot)
    return out


def power_at(slots: Iterable[Slot], moment: datetime) -> float:
    return sum(s.power_w for s in slots if s.start <= moment < s.end)
