"""consumption-peak over HTTP (staff): a community's peaks with what was shed, and its threshold."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel, ConfigDict, Field

from smartgrid.access import STAFF
from smartgrid.api import GridApi
from smartgrid.clockservice import ClockReaderSettings, grid_now
from smartgrid.errors import NotFound
from smartgrid.gridtime import parse_instant
from smartgrid.models import Strict
from smartgrid.observability import observability
from smartgrid.periods import Day, PeriodEnd, PeriodStart, date_or_period
from smartgrid.schedules import ShedCause, ShedObject
from smartgrid.settings import AuthSettings
from smartgrid.stores.communities import CommunitiesRepository
from smartgrid.stores.peaks import PeaksStore
from smartgrid.stores.schedules import SheddingsStore

obs = observability()
app = GridApi("consumption-peak")

CommunityId = Annotated[str, Path(min_length=3, max_length=64)]


class Settings(AuthSettings, ClockReaderSettings):
    peaks_table: str = Field(alias="PEAKS_TABLE")
    sheddings_table: str = Field(alias="SHEDDINGS_TABLE")
    communities_table: str = Field(alias="COMMUNITIES_TABLE")
    peak_threshold_w: float = Field(10_000.0, alias="PEAK_THRESHOLD_W", gt=0)


class ShedView(BaseModel):
    start: str
    until: str
    shedW: float
    objects: list[ShedObject]


class PeakView(BaseModel):
    frameStart: str
    valueW: float
    thresholdW: float
    shed: ShedView | None = Field(description="what the scheduler stopped for it (null: nothing yet)")


class Peaks(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    communityId: str
    from_: str = Field(alias="from", serialization_alias="from")
    to: str
    peaks: list[PeakView]


class Threshold(Strict):
    thresholdW: float = Field(gt=0, le=100_000_000, allow_inf_nan=False, description="peak above this (W)")


class ThresholdView(BaseModel):
    communityId: str
    thresholdW: float
    isDefault: bool = Field(description="true when the community uses the grid's default")


def require_community(settings: Settings, community_id: str) -> None:
    if CommunitiesRepository(settings.communities_table).get(community_id) is None:
        raise NotFound(f"no community {community_id}", field="communityId")


@app.get(
    "/communities/<communityId>/peaks",
    allow=STAFF,
    summary="A community's peaks (?date= or ?from=&to=, default the grid's today), with what was shed",
)
def peaks(
    communityId: CommunityId, date: Day = None, start: PeriodStart = None, end: PeriodEnd = None
) -> Peaks:
    settings = Settings.from_env()
    require_community(settings, communityId)
    if date is None and start is None and end is None:
        date = parse_instant(grid_now(settings)).date()
    days = date_or_period(date, start, end)
    first, last = days[0].isoformat(), days[-1].isoformat()
    found = PeaksStore(settings.peaks_table).peaks(
        communityId, first, (days[-1] + dt.timedelta(days=1)).isoformat()
    )
    sheddings = {
        s.key: s
        for s in SheddingsStore(settings.sheddings_table).between(communityId, first, last + "T23:59:59Z")
        if s.cause is ShedCause.PEAK
    }
    views: list[PeakView] = []
    for peak in found:
        shedding = sheddings.get(f"{peak.frameStart}#{ShedCause.PEAK}")
        shed = (
            ShedView(
                start=shedding.start, until=shedding.until, shedW=shedding.shedW, objects=shedding.objects
            )
            if shedding
            else None
        )
        views.append(
            PeakView(frameStart=peak.frameStart, valueW=peak.valueW, thresholdW=peak.thresholdW, shed=shed)
        )
    return Peaks(communityId=communityId, from_=first, to=last, peaks=views)


def threshold_view(settings: Settings, community_id: str) -> ThresholdView:
    own = PeaksStore(settings.peaks_table).threshold(community_id)
    return ThresholdView(
        communityId=community_id,
        thresholdW=own if own is not None else settings.peak_threshold_w,
        isDefault=own is None,
    )


@app.get("/communities/<communityId>/peak-threshold", allow=STAFF, summary="A community's peak threshold")
def get_threshold(communityId: CommunityId) -> ThresholdView:
    settings = Settings.from_env()
    require_community(settings, communityId)
    return threshold_view(settings, communityId)


@app.put("/communities/<communityId>/peak-threshold", allow=STAFF, summary="Set a community's peak threshold")
def set_threshold(communityId: CommunityId, threshold: Threshold) -> ThresholdView:
    settings = Settings.from_env()
    require_community(settings, communityId)
    PeaksStore(settings.peaks_table).set_threshold(communityId, threshold.thresholdW)
    return threshold_view(settings, communityId)


@app.delete(
    "/communities/<communityId>/peak-threshold",
    allow=STAFF,
    summary="Back to the grid's default peak threshold",
)
def reset_threshold(communityId: CommunityId) -> ThresholdView:
    settings = Settings.from_env()
    require_community(settings, communityId)
    PeaksStore(settings.peaks_table).clear_threshold(communityId)
    return threshold_view(settings, communityId)


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
