"""A community's expected other load, from its history by time of day (pure: no AWS).

The history holds, per day and tick, the community's net load as its frames closed:
consumption less its houses' production (mWh, negative where production was sold). Its
schedulable objects drew in it by their plans: that part is taken out, since those objects
are what is being planned. What is expected at a time of day is the mean of the last days
that have that tick; a time of day never seen expects nothing (a new community starts flat).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta

import numpy as np

from smartgrid.communityplan import SlotGrid, add_plans
from smartgrid.flattening import Vector
from smartgrid.gridtime import slot_of
from smartgrid.planning import SECONDS_PER_MWH_AT_1W, Slot

HISTORY_DAYS = 7
DayHistory = Mapping[str, int]  # `HH:MM` of a tick → net mWh


def history_days(today: date, days: int = HISTORY_DAYS) -> list[date]:
    """The days the forecast learns from: the last `days` before today, and today so far."""
    return [today - timedelta(days=n) for n in range(days, -1, -1)]


def expected_other_w(
    grid: SlotGrid,
    history: Mapping[date, DayHistory],
    plans: Sequence[Sequence[Slot]],
    now: datetime,
) -> Vector:
    """Per grid slot (its step a tick), the mean other load (W) at its time of day over the
    history's ticks before `now`, the plans' part taken out."""
    tick_seconds = grid.step.total_seconds()
    ticks_per_day = round(timedelta(days=1) / grid.step)
    first = min(history, default=now.date())
    past = SlotGrid(datetime.combine(first, datetime.min.time(), now.tzinfo), grid.step, 0)
    past = SlotGrid(past.origin, grid.step, max(1, (len(history) + 1) * ticks_per_day))
    planned_w = np.zeros(past.count)
    add_plans(planned_w, past, plans)
    seen: dict[str, list[float]] = {}
    for day, values in history.items():
        offset = (day - first).days * ticks_per_day
        for name, mwh in values.items():
            hours, minutes = int(name[:2]), int(name[3:])
            index = offset + (hours * 60 + minutes) * 60 // int(tick_seconds)
            if past.start(index) >= now or index >= past.count:
                continue
            watts = mwh * float(SECONDS_PER_MWH_AT_1W) / tick_seconds
            seen.setdefault(name, []).append(watts - planned_w[index])
    return np.array([float(np.mean(seen[n])) if (n := slot_of(s)) in seen else 0.0 for s in grid.starts()])
