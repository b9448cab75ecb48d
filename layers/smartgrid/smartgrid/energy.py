"""Real energy (real-energy-output): what each house consumed, produced, stored and exchanged
with the grid, tick by tick.

Over a tick a house consumes C, produces P, and its batteries take F (stored at the tick's end
minus stored at its start: F > 0 charges, F < 0 discharges). What is left, P - C - F, goes to
the grid (sold) when positive, and comes from it (bought) when negative:

    P + discharge + bought = C + charge + sold, with at most one of bought and sold non-zero.

Bought and sold are judged per tick, never from a day's totals: a house that sells at noon
and buys at night both sold and bought that day.

The inputs of an hour of a house are its readings (a reading over several ticks is spread
evenly over them, as frames do) and its batteries' states at tick boundaries. Between two
known states of a battery that are several ticks apart (a battery that reports less often
than every tick) the change is spread evenly over the ticks between them; before a battery's
first known state of the hour, and after its last, its flow is 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from smartgrid.events import HouseEnergy
from smartgrid.stores.frames import portion

MINUTES_PER_HOUR = 60
FIELDS = tuple(HouseEnergy.model_fields)


@dataclass(frozen=True)
class Spread:
    """A reading's energy spread evenly over `ticks` ticks from `start` (minutes of the day)."""

    start: int
    ticks: int
    mwh: int

    def at(self, minute: int, tick_minutes: int) -> int | None:
        """Its energy in the tick that starts at `minute` (None: it does not cover that tick)."""
        index, off = divmod(minute - self.start, tick_minutes)
        if off or not 0 <= index < self.ticks:
            return None
        return portion(self.mwh, self.ticks, index)


@dataclass
class HourInputs:
    """What is known of a house's hour: its consumption and production readings, and each
    battery's states (minute of the day → stored mWh; a tick boundary may be the hour's end)."""

    hour: int  # 0..23
    consumption: list[Spread] = field(default_factory=list)
    production: list[Spread] = field(default_factory=list)
    batteries: dict[str, dict[int, int]] = field(default_factory=dict)

    def tick_starts(self, tick_minutes: int) -> list[int]:
        """The ticks that start in this hour (minutes of the day; ticks count from midnight)."""
        first = self.hour * MINUTES_PER_HOUR
        aligned = -(-first // tick_minutes) * tick_minutes
        return list(range(aligned, first + MINUTES_PER_HOUR, tick_minutes))


def battery_flow(states: Mapping[int, int], minute: int, tick_minutes: int) -> int | None:
    """A battery's flow over the tick [minute, minute + tick): None when no two known states
    frame it. Between states several ticks apart the change is spread evenly (exact sum)."""
    end = minute + tick_minutes
    before = [m for m in states if m <= minute]
    after = [m for m in states if m >= end]
    if not before or not after:
        return None
    start, stop = max(before), min(after)
    ticks = max(1, (stop - start) // tick_minutes)
    return portion(states[stop] - states[start], ticks, (minute - start) // tick_minutes)


def exchange(consumption: int, production: int, flow: int) -> tuple[int, int, int, int, int, int]:
    """A tick's energy as mWh in HouseEnergy's field order: consumption, production,
    charge, discharge, bought, sold."""
    left = production - consumption - flow
    return consumption, production, max(flow, 0), max(-flow, 0), max(-left, 0), max(left, 0)


def balance(consumption: int, production: int, flow: int) -> HouseEnergy:
    """A tick's energy: the batteries' flow (> 0 charge) and the exchange with the grid."""
    return HouseEnergy(**dict(zip(FIELDS, exchange(consumption, production, flow), strict=True)))


def tick_inputs(inputs: HourInputs, minute: int, tick_minutes: int) -> tuple[int, int, int] | None:
    """The house's consumption, production and batteries' flow over the tick that starts at
    `minute`; None if nothing of the house (no reading, no battery state) covers the tick."""
    covered = False
    totals = [0, 0]
    for index, spreads in enumerate((inputs.consumption, inputs.production)):
        for spread in spreads:
            mwh = spread.at(minute, tick_minutes)
            if mwh is not None:
                covered = True
                totals[index] += mwh
    flow = 0
    for states in inputs.batteries.values():
        found = battery_flow(states, minute, tick_minutes)
        if found is not None:
            covered = True
            flow += found
    return (totals[0], totals[1], flow) if covered else None


def tick_energy(inputs: HourInputs, minute: int, tick_minutes: int) -> HouseEnergy | None:
    """The house's energy over the tick that starts at `minute` (None: nothing covers it)."""
    found = tick_inputs(inputs, minute, tick_minutes)
    return balance(*found) if found else None


def hour_inputs_by_tick(inputs: HourInputs, tick_minutes: int) -> dict[int, tuple[int, int, int]]:
    """Each tick of the hour the house has something in: (consumption, production, flow).
    A spread is laid over the ticks it covers at once (a day-long reading costs its hour's
    ticks, not a test per tick)."""
    starts = inputs.tick_starts(tick_minutes)
    if not starts:
        return {}
    first, count = starts[0], len(starts)
    sums = [[0, 0, 0] for _ in starts]
    covered = [False] * count
    for index, spreads in enumerate((inputs.consumption, inputs.production)):
        for spread in spreads:
            shift, off = divmod(spread.start - first, tick_minutes)
            if off:
                continue
            base, rest = divmod(spread.mwh, spread.ticks)
            for tick in range(max(0, shift), min(count, shift + spread.ticks)):
                sums[tick][index] += base + (1 if tick - shift < rest else 0)
                covered[tick] = True
    for states in inputs.batteries.values():
        for tick, minute in enumerate(starts):
            flow = battery_flow(states, minute, tick_minutes)
            if flow is not None:
                sums[tick][2] += flow
                covered[tick] = True
    return {starts[t]: (sums[t][0], sums[t][1], sums[t][2]) for t in range(count) if covered[t]}


def hour_energies(inputs: HourInputs, tick_minutes: int) -> dict[int, HouseEnergy]:
    """Each tick of the hour the house has something in (tick start minute → its energy)."""
    return {m: balance(*found) for m, found in hour_inputs_by_tick(inputs, tick_minutes).items()}


def hour_total(inputs: HourInputs, tick_minutes: int) -> HouseEnergy:
    """The hour's energy, summed tick by tick (bought and sold never netted across ticks)."""
    sums = [0] * len(FIELDS)
    for found in hour_inputs_by_tick(inputs, tick_minutes).values():
        for index, value in enumerate(exchange(*found)):
            sums[index] += value
    return HouseEnergy(**dict(zip(FIELDS, sums, strict=True)))


def total(energies: Iterable[HouseEnergy]) -> HouseEnergy:
    """The sum of ticks' energies (bought and sold summed tick by tick, never netted)."""
    sums = dict.fromkeys(HouseEnergy.model_fields, 0)
    for energy in energies:
        for name in sums:
            sums[name] += getattr(energy, name)
    return HouseEnergy(**sums)


def difference(new: HouseEnergy, old: HouseEnergy) -> dict[str, int]:
    """What changed, field by field (the delta a rollup adds)."""
    return {name: getattr(new, name) - getattr(old, name) for name in HouseEnergy.model_fields}
