"""Judging ticks in order, whatever order their events arrive in (autarky-oversight).

A community's ticks are judged one after the other from a cursor (the last tick judged):
the next tick is judged once its event is in, and never before the ticks before it, so a
tick that arrives late (SQS reorders, redelivers) is judged in its place, with every earlier
tick of its window known. A tick still missing when a tick `lost_after` ticks later is known
is taken as lost (counted 0) and passed over: a lost message holds decisions back by that
long at most, never forever. A clock jump (days fast-forwarded) passes over its hole the
same way, straight to the next tick that is known.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Run:
    """The ticks to judge now (ascending), and where the cursor then stands (from `start`)."""

    ticks: list[datetime]
    through: datetime
    start: datetime

    @property
    def moves(self) -> bool:
        return self.through != self.start


def plan_run(
    through: datetime, newest: datetime, known: Set[datetime], tick_minutes: int, lost_after: int
) -> Run:
    """From the cursor `through`, with ticks up to `newest` and those `known`: the run of
    ticks that can be judged now."""
    step = timedelta(minutes=tick_minutes)
    patience = lost_after * step
    ticks: list[datetime] = []
    moment = through + step
    while moment <= newest:
        if moment in known:
            ticks.append(moment)
            moment += step
        elif newest - moment >= patience:
            later = [k for k in known if k > moment]
            moment = min([*later, newest - patience + step])
        else:
            break
    return Run(ticks, moment - step, through)
