"""electricity-frame, over HTTP: the closed frames of a period (staff), in W."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel, Field

from smartgrid.access import STAFF
from smartgrid.api import GridApi
from smartgrid.errors import Unprocessable
from smartgrid.events import ElectricityFrame, FrameTotals
from smartgrid.frames import watts
from smartgrid.gridtime import iso, parse_instant
from smartgrid.observability import observability
from smartgrid.settings import AuthSettings
from smartgrid.stores.frames import ClosedFramesRepository

obs = observability()
app = GridApi("electricity-frame")
MAX_PERIOD = dt.timedelta(days=1)


class Settings(AuthSettings):
    closed_frames_table: str = Field(alias="CLOSED_FRAMES_TABLE")


class TotalsW(BaseModel):
    consumptionW: float
    productionW: float = Field(description="house and utility production together")
    houseProductionW: float
    utilityProductionW: float


class FrameView(BaseModel):
    frameStart: str
    durationMinutes: int
    grid: TotalsW
    communities: dict[str, TotalsW] = Field(description="community id to its mean power over the frame")
    producers: dict[str, float] = Field(description="utility producer id to its mean production (W)")


class FrameList(BaseModel):
    model_config = {"populate_by_name": True}

    from_: str = Field(alias="from", serialization_alias="from")
    to: str
    frames: list[FrameView]


def totals_w(totals: FrameTotals, minutes: int) -> TotalsW:
    return TotalsW(
        consumptionW=watts(totals.consumptionMwh, minutes),
        productionW=watts(totals.productionMwh, minutes),
        houseProductionW=watts(totals.houseProductionMwh, minutes),
        utilityProductionW=watts(totals.utilityProductionMwh, minutes),
    )


def view(frame: ElectricityFrame) -> FrameView:
    minutes = frame.durationMinutes
    return FrameView(
        frameStart=frame.frameStart,
        durationMinutes=minutes,
        grid=totals_w(frame.grid, minutes),
        communities={c: totals_w(t, minutes) for c, t in frame.communities.items()},
        producers={p: watts(mwh, minutes) for p, mwh in frame.producers.items()},
    )


@app.get(
    "/grid/frames",
    allow=STAFF,
    summary="Closed frames starting in [from, to) (at most a day), as published, in W",
)
def grid_frames(
    start: Annotated[dt.datetime, Query(alias="from", description="ISO 8601 instant (UTC if no zone)")],
    end: Annotated[dt.datetime, Query(alias="to", description="ISO 8601 instant, after from")],
) -> FrameList:
    first, last = parse_instant(start.isoformat()), parse_instant(end.isoformat())
    if last <= first:
        raise Unprocessable("to must be after from", field="to")
    if last - first > MAX_PERIOD:
        raise Unprocessable("a period is at most a day", field="to")
    frames = ClosedFramesRepository(Settings.from_env().closed_frames_table).between(iso(first), iso(last))
    return FrameList(from_=iso(first), to=iso(last), frames=[view(f) for f in frames])


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
