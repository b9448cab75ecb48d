"""Communities of schedulable loads for the schedule benchmark (seeded, so every run is the same).

A day from noon to noon. The base is the community's other load: its houses' night base,
morning and evening peaks, less their solar production by day (negative at midday, where
production would be sold), with minute-to-minute noise. The loads mix what houses schedule:
cars plugged in at evening and wanted by morning, washing machines and dishwashers within a
few hours by day, water heaters overnight, pool pumps by day. Windows fall on any minute;
on a coarser grid a window keeps only its whole slots.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from smartgrid.communityplan import Demand, SlotGrid
from smartgrid.flattening import Load, Vector

MINUTES = 24 * 60
START_HOUR = 12  # the day runs from noon to noon


@dataclass(frozen=True)
class Appliance:
    """A load in minutes from noon: [earliest, deadline), power and energy."""

    earliest: int
    deadline: int
    power_w: float
    energy_wh: float


def _minute(hour: float) -> int:
    """Minutes from noon of a time of day (hours 12..36 for the night after)."""
    return round(((hour - START_HOUR) % 24) * 60)


def _household_w(hour_of_day: float) -> float:
    evening = 1400 * math.exp(-(((hour_of_day - 19.5) / 1.6) ** 2))
    morning = 800 * math.exp(-(((hour_of_day - 7.5) / 1.0) ** 2))
    return 350 + evening + morning


def _solar_w(hour_of_day: float) -> float:
    return 1800 * max(0.0, math.sin(math.pi * (hour_of_day - 7) / 12)) if 7 <= hour_of_day <= 19 else 0.0


def base_per_minute(houses: int, producing_share: float, rng: random.Random) -> Vector:
    minutes = np.arange(MINUTES)
    hours = (START_HOUR + minutes / 60) % 24
    load = np.array([_household_w(h) for h in hours]) * houses
    solar = np.array([_solar_w(h) for h in hours]) * houses * producing_share
    noise = np.array([rng.gauss(0, 60) for _ in minutes]) * math.sqrt(houses)
    return load - solar + noise


def appliances(count: int, rng: random.Random) -> list[Appliance]:
    made: list[Appliance] = []
    for _ in range(count):
        kind = rng.random()
        if kind < 0.5:  # a car, plugged in at evening, wanted by morning
            earliest = _minute(rng.uniform(17, 22))
            deadline = _minute(rng.uniform(30, 32.5))  # 06:00 to 08:30
            power = rng.choice([3700.0, 7400.0, 11000.0])
            energy = rng.uniform(5000, 40000)
        elif kind < 0.75:  # a washing machine or a dishwasher, a few hours by day
            earliest = _minute(rng.uniform(12.5, 21))
            deadline = min(MINUTES, earliest + round(rng.uniform(3, 10) * 60))
            power = 2000.0
            energy = rng.uniform(800, 2000)
        elif kind < 0.9:  # a water heater, overnight
            earliest = _minute(rng.uniform(21.5, 23))
            deadline = _minute(rng.uniform(30, 31))
            power = rng.choice([2500.0, 3000.0])
            energy = rng.uniform(3000, 6000)
        else:  # a pool pump, by day (the sun of the next morning)
            earliest = _minute(rng.uniform(32, 33))
            deadline = MINUTES
            power = 1000.0
            energy = rng.uniform(1500, 3000)
        hours_at_power = (deadline - earliest) / 60
        made.append(Appliance(earliest, deadline, power, min(energy, 0.8 * power * hours_at_power)))
    return made


ORIGIN = datetime(2026, 3, 1, START_HOUR, tzinfo=UTC)


@dataclass(frozen=True)
class Case:
    loads: int
    step_minutes: int
    base: Vector  # W per slot
    problem: list[Load]

    @property
    def slots(self) -> int:
        return len(self.base)

    @property
    def grid(self) -> SlotGrid:
        return SlotGrid(ORIGIN, timedelta(minutes=self.step_minutes), self.slots)

    def demands(self) -> list[Demand]:
        """The same loads as the scheduler receives them: energy (mWh), power and window."""
        step = timedelta(minutes=self.step_minutes)
        return [
            Demand(
                (f"h{n}", "object"),
                round(load.need * self.step_minutes * 60 / 3.6),
                float(load.cap[0]),
                ORIGIN + step * load.first,
                ORIGIN + step * load.end,
            )
            for n, load in enumerate(self.problem)
        ]


def case(count: int, step_minutes: int, seed: int = 2026) -> Case:
    rng = random.Random(seed * 100_003 + count)
    base_minutes = base_per_minute(max(1, round(count * 0.7)), 0.35, rng)
    slots = MINUTES // step_minutes
    base = base_minutes.reshape(slots, step_minutes).mean(axis=1)
    problem: list[Load] = []
    for item in appliances(count, rng):
        first = -(-item.earliest // step_minutes)  # whole slots only
        end = item.deadline // step_minutes
        need = item.energy_wh * 60 / step_minutes  # W·slots
        width = max(end - first, 1)
        if width * item.power_w < need:  # rounding to slots took too much: widen to fit
            end = min(slots, first + math.ceil(need / item.power_w))
            first = end - max(math.ceil(need / item.power_w), 1)
        problem.append(Load(first, np.full(end - first, item.power_w), need))
    return Case(count, step_minutes, base, problem)


NIGHT = (_minute(23), _minute(29))  # 23:00 to 05:00


def naive(case: Case) -> Vector:
    """Every load at full power from the moment it may."""
    level = case.base.copy()
    for load in case.problem:
        left = load.need
        for offset, cap in enumerate(load.cap):
            take = min(cap, left)
            level[load.first + offset] += take
            left -= take
            if left <= 0:
                break
    return level


def night_split(case: Case) -> Vector:
    """Each load spread equally over the part of its window between 23:00 and 05:00 (at most
    its power), what does not fit there as soon as it may."""
    level = case.base.copy()
    night_first = NIGHT[0] // case.step_minutes
    night_end = NIGHT[1] // case.step_minutes
    for load in case.problem:
        first, end = max(load.first, night_first), min(load.end, night_end)
        left = load.need
        if end > first:
            each = min(left / (end - first), float(load.cap[0]))
            level[first:end] += each
            left -= each * (end - first)
        for offset, cap in enumerate(load.cap):
            if left <= 1e-9:
                break
            slot = load.first + offset
            room = cap - (each if first <= slot < end else 0.0) if end > first else cap
            take = min(room, left)
            level[slot] += take
            left -= take
    return level
