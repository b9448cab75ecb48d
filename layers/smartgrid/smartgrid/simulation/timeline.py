"""Which readings a simulator sends for a move of the clock.

A move of up to FINE_TICKS ticks is reported tick by tick. A longer jump (staff fast-forward
three months) is computed in coarse intervals, one per simulated hour, cut at the hour and
never across midnight (UTC): the API refuses readings that cross it. The head-end then posts
the days before the jump's last as one reading each (see `compaction`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from smartgrid.clock import ClockMove
from smartgrid.gridtime import MINUTES_PER_DAY, iso, parse_instant

FINE_TICKS = 60
COARSE_MINUTES = 60


@dataclass(frozen=True)
class Interval:
    start: datetime
    minutes: int

    @property
    def timestamp(self) -> str:
        return iso(self.start)

    @property
    def midpoint(self) -> datetime:
        return self.start + timedelta(minutes=self.minutes / 2)

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.minutes)


def _minute_of_day(moment: datetime) -> int:
    return moment.hour * 60 + moment.minute


def _next_cut(moment: datetime, tick_minutes: int) -> datetime:
    """The first tick boundary at or after the next full hour, and never past midnight."""
    minute = _minute_of_day(moment)
    cut = (minute // COARSE_MINUTES + 1) * COARSE_MINUTES
    cut = -(-cut // tick_minutes) * tick_minutes  # ticks are counted from midnight
    return moment + timedelta(minutes=min(cut, MINUTES_PER_DAY) - minute)


def report_intervals(start: datetime, end: datetime, tick_minutes: int) -> list[Interval]:
    """The intervals, in order, that cover [start, end): ticks for a short move, hours for a jump."""
    if end <= start:
        return []
    tick = timedelta(minutes=tick_minutes)
    ticks = (end - start) // tick
    if ticks <= FINE_TICKS:
        return [Interval(start + n * tick, tick_minutes) for n in range(ticks)]
    intervals: list[Interval] = []
    moment = start
    while moment < end:
        following = min(_next_cut(moment, tick_minutes), end)
        intervals.append(Interval(moment, int((following - moment).total_seconds() // 60)))
        moment = following
    return intervals


def span_to_report(move: ClockMove, reported_until: str) -> tuple[datetime, datetime] | None:
    """What is left to report for a source that reported up to `reported_until`, up to the
    move's end: None when it was reported already (a retried or late event). It starts where
    the source stopped, even before the move: a report that failed and was overtaken by the
    next move is caught up then, never lost."""
    start = parse_instant(reported_until)
    end = parse_instant(move.now)
    return (start, end) if start < end else None
