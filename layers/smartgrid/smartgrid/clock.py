"""The grid's shared clock: simulated time that the tick advances and staff fast-forward."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from smartgrid.errors import Unprocessable
from smartgrid.gridtime import floor_to_tick, iso, parse_instant

MAX_ADVANCE_DAYS = 400
# How many earlier move ends the clock keeps and announces: the frames a move closes depend
# on the two moves before it (see smartgrid.frames.frames_to_close).
EARLIER_ENDS_KEPT = 2
MAX_EARLIER_ENDS = 60  # what a consumer accepts in an event: room for a clock that keeps more


def start_instant(configured: str, real_now: datetime, tick_minutes: int) -> datetime:
    """Where the clock starts: the configured instant, else the real time, on a tick."""
    return floor_to_tick(parse_instant(configured) if configured else real_now, tick_minutes)


def advanced(
    now: datetime, tick_minutes: int, *, ticks: int | None = None, until: str | None = None
) -> datetime:
    if (ticks is None) == (until is None):
        raise Unprocessable("give either ticks or until", field="body")
    if ticks is not None:
        if ticks < 1:
            raise Unprocessable("ticks must be at least 1: the clock never goes back", field="ticks")
        target = now + timedelta(minutes=ticks * tick_minutes)
    else:
        assert until is not None
        target = floor_to_tick(parse_instant(until), tick_minutes)
        if target < now:
            raise Unprocessable(
                f"until is before the clock's time {iso(now)}: the clock never goes back", field="until"
            )
    if target - now > timedelta(days=MAX_ADVANCE_DAYS):
        raise Unprocessable(
            f"at most {MAX_ADVANCE_DAYS} days at once", field="ticks" if ticks is not None else "until"
        )
    return target


class ClockMove(BaseModel):
    """The detail of the clock's `Clock Advanced` event (source `smartgrid.clock`): the grid's
    time moved from `previous` to `now`, by `ticks` of `tickMinutes`."""

    model_config = ConfigDict(frozen=True)

    previous: str
    now: str
    ticks: int = Field(ge=0)
    tickMinutes: int = Field(ge=1, le=60)
    earlierEnds: list[str] = Field(
        default_factory=list,
        max_length=MAX_EARLIER_ENDS,
        description="where the clock stood after its latest earlier moves, the latest first "
        "(`previous` first): a frame never closes on the move that ended its tick, whose "
        "readings come after it; empty from a clock that kept none",
    )
