"""Reading and moving the grid clock: shared by the clock's API and its tick."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import Field

from smartgrid import aws
from smartgrid.clock import EARLIER_ENDS_KEPT, advanced, start_instant
from smartgrid.errors import Conflict
from smartgrid.gridtime import iso, parse_instant
from smartgrid.settings import GridSettings
from smartgrid.stores.clock import ClockRepository, ClockState

EVENT_SOURCE = "smartgrid.clock"
ADVANCED = "Clock Advanced"
ATTEMPTS = 5


class ClockSettings(GridSettings):
    clock_table: str = Field(alias="CLOCK_TABLE")
    clock_start: str = Field("", alias="CLOCK_START")
    event_bus_name: str = Field("default", alias="EVENT_BUS_NAME")


@dataclass(frozen=True)
class Move:
    previous: str
    now: str
    ticks: int
    tickMinutes: int
    earlierEnds: list[str]


class ClockReaderSettings(GridSettings):
    clock_table: str = Field(alias="CLOCK_TABLE")
    clock_start: str = Field("", alias="CLOCK_START")


def grid_now(settings: ClockReaderSettings) -> str:
    """The grid's time, read-only (for functions that stamp events): before the first tick,
    the instant the clock will start at."""
    state = ClockRepository(settings.clock_table).get()
    if state is not None:
        return state.now
    return iso(start_instant(settings.clock_start, datetime.now(UTC), settings.tick_minutes))


class ClockService:
    def __init__(self, settings: ClockSettings) -> None:
        self.settings = settings
        self.repository = ClockRepository(settings.clock_table)

    def read(self) -> ClockState:
        state = self.repository.get()
        if state is not None:
            return state
        start = start_instant(self.settings.clock_start, datetime.now(UTC), self.settings.tick_minutes)
        first = ClockState(now=iso(start), tickMinutes=self.settings.tick_minutes)
        try:
            self.repository.move(None, first)
        except Conflict:
            return self.repository.get() or first
        return first

    def advance(self, *, ticks: int | None = None, until: str | None = None) -> Move:
        """Moves the clock, retrying if another tick moved it meanwhile, and announces it."""
        for attempt in range(ATTEMPTS):
            state = self.read()
            now = parse_instant(state.now)
            target = advanced(now, state.tickMinutes, ticks=ticks, until=until)
            following = ClockState(
                now=iso(target),
                tickMinutes=state.tickMinutes,
                earlierEnds=[state.now, *state.earlierEnds][:EARLIER_ENDS_KEPT],
            )
            try:
                self.repository.move(state, following)
            except Conflict:
                if attempt == ATTEMPTS - 1:
                    raise
                continue
            move = Move(
                previous=state.now,
                now=following.now,
                ticks=int((target - now).total_seconds() // 60 // state.tickMinutes),
                tickMinutes=state.tickMinutes,
                earlierEnds=following.earlierEnds,
            )
            self._announce(move)
            return move
        raise Conflict("the clock kept moving; try again")

    def _announce(self, move: Move) -> None:
        aws.client("events").put_events(
            Entries=[
                {
                    "Source": EVENT_SOURCE,
                    "DetailType": ADVANCED,
                    "Detail": json.dumps(move.__dict__),
                    "EventBusName": self.settings.event_bus_name,
                }
            ]
        )
