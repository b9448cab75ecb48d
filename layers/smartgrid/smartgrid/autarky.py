"""Autarky (autarky-oversight, autarky-api): does a house, or a community, cover its own use?

What counts, per tick (whole mWh):
- own supply = production + battery discharge - battery charge. What the battery gives back
  counts as the house's own production; what it stores is taken off, so energy produced,
  stored and given back later counts once, and energy bought from the grid to charge the
  battery never becomes "own" energy. Energy bought from the grid never counts.
- consumption = what the house consumed.
A community's supply and consumption are its houses', summed: one house's surplus covers
another's deficit.

The window: the last `AutarkyWindowMinutes` (default 60) ending with the last judged tick,
rolling; its supply and consumption are sums over its ticks (a tick not received counts 0).
Coverage = supply / consumption.

Hysteresis (a subject starts not autarkic):
- it becomes autarkic when its window's supply covers its consumption: supply ≥ consumption
  (coverage ≥ 100 %), and something happened (a window with no supply and no consumption
  changes nothing);
- it stops being autarkic when coverage falls below 100 - `AutarkyLossPercent` (default
  97 %): supply * 100 < consumption * (100 - loss). Between the two it keeps its state, so a
  window hovering around 100 % does not flap. Integer arithmetic: exact, no rounding.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from smartgrid.events import HouseEnergy
from smartgrid.gridtime import iso

HOUSE = "house"
COMMUNITY = "community"


@dataclass(frozen=True)
class Energy:
    """Own supply and consumption (mWh), over a tick or a window."""

    supply: int = 0
    consumption: int = 0

    def __add__(self, other: Energy) -> Energy:
        return Energy(self.supply + other.supply, self.consumption + other.consumption)

    def coverage_percent(self) -> float | None:
        """supply / consumption in %, to 0.1 %; None when nothing was consumed."""
        if self.consumption <= 0:
            return None
        exact = Decimal(self.supply) * 100 / Decimal(self.consumption)
        return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN))


def house_energy(energy: HouseEnergy) -> Energy:
    return Energy(
        supply=energy.productionMwh + energy.batteryDischargeMwh - energy.batteryChargeMwh,
        consumption=energy.consumptionMwh,
    )


def total(energies: Iterable[Energy]) -> Energy:
    result = Energy()
    for energy in energies:
        result = result + energy
    return result


@dataclass(frozen=True)
class Hysteresis:
    loss_percent: int = 3

    def next_state(self, autarkic: bool, window: Energy) -> bool:
        supply, consumption = window.supply, window.consumption
        if autarkic:
            return not supply * 100 < consumption * (100 - self.loss_percent)
        if supply == 0 and consumption == 0:
            return False  # nothing happened: no evidence either way
        return supply >= consumption


def subject_key(kind: str, subject_id: str) -> str:
    return f"{kind}#{subject_id}"


def subject_parts(subject: str) -> tuple[str, str]:
    kind, _, subject_id = subject.partition("#")
    return kind, subject_id


@dataclass(frozen=True)
class Window:
    """The ticks a decision at `last` looks at: `ticks` ticks ending with `last`."""

    last: datetime
    ticks: int
    tick_minutes: int

    @property
    def first(self) -> datetime:
        return self.last - timedelta(minutes=(self.ticks - 1) * self.tick_minutes)

    @property
    def start(self) -> str:
        return iso(self.first)

    @property
    def end(self) -> str:
        """The instant the window ends: the end of its last tick."""
        return iso(self.last + timedelta(minutes=self.tick_minutes))

    @property
    def minutes(self) -> int:
        return self.ticks * self.tick_minutes

    def sum(self, by_tick: Mapping[datetime, Energy]) -> Energy:
        step = timedelta(minutes=self.tick_minutes)
        return total(by_tick.get(self.first + i * step, Energy()) for i in range(self.ticks))


@dataclass(frozen=True)
class SubjectState:
    """A subject's autarky as last changed: `tick` is the tick that changed it (None: never),
    `since` the instant its window ended."""

    autarkic: bool = False
    since: str | None = None
    tick: str | None = None


@dataclass(frozen=True)
class Change:
    subject: str
    tick: str
    autarkic: bool
    window: Energy
    window_start: str
    window_end: str
    window_minutes: int


def decide(
    subjects: Sequence[str],
    ticks: Sequence[datetime],
    energies: Mapping[str, Mapping[datetime, Energy]],
    states: Mapping[str, SubjectState],
    rule: Hysteresis,
    window_ticks: int,
    tick_minutes: int,
) -> list[Change]:
    """The changes of autarky over `ticks` (ascending, judged in that order), tick by tick.

    A subject whose state changed at a tick of the run already (an earlier attempt that died
    before it moved the cursor) is judged only after that tick, from its stored state: the
    run gives the same changes whoever does it, and none twice.
    """
    changes: list[Change] = []
    for subject in subjects:
        state = states.get(subject, SubjectState())
        autarkic = state.autarkic
        by_tick = energies.get(subject, {})
        for tick in ticks:
            if state.tick is not None and iso(tick) <= state.tick:
                continue
            window = Window(tick, window_ticks, tick_minutes)
            sums = window.sum(by_tick)
            following = rule.next_state(autarkic, sums)
            if following != autarkic:
                changes.append(
                    Change(subject, iso(tick), following, sums, window.start, window.end, window.minutes)
                )
                autarkic = following
    return sorted(changes, key=lambda c: (c.tick, c.subject))
