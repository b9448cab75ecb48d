"""consumption-scheduler over HTTP: a house's schedulable objects' plans (the house or staff),
and a community's sheddings (staff stop and resume its schedulable objects by hand)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel, Field

from smartgrid.access import HOUSE_SELF, STAFF
from smartgrid.api import GridApi
from smartgrid.errors import NotFound
from smartgrid.gridtime import iso
from smartgrid.observability import observability
from smartgrid.schedules import FixedSchedule, ManualShedding, ObjectPlan, ScheduleRequest, Shedding
from smartgrid.scheduling import CommunityLoad, SchedulerSettings
from smartgrid.settings import AuthSettings
from smartgrid.stores.communities import CommunitiesRepository

obs = observability()
app = GridApi("consumption-scheduler")

HouseId = Annotated[str, Path(min_length=3, max_length=64)]
ObjectName = Annotated[str, Path(min_length=1, max_length=64)]
CommunityId = Annotated[str, Path(min_length=3, max_length=64)]


class Settings(AuthSettings, SchedulerSettings):
    peak_threshold_w: float = Field(alias="PEAK_THRESHOLD_W", gt=0)


class Sheddings(BaseModel):
    communityId: str
    sheddings: list[Shedding] = Field(description="sheddings active now or to come")


SCHEDULE = "/houses/<houseId>/objects/<name>/schedule"


@app.post(SCHEDULE, allow=(HOUSE_SELF, STAFF), status_code=201, summary="Plan a schedulable object's energy")
def request_schedule(houseId: HouseId, name: ObjectName, request: ScheduleRequest) -> ObjectPlan:
    settings = Settings.from_env()
    return settings.scheduler().request(houseId, name, request, settings.now())


@app.get(SCHEDULE, allow=(HOUSE_SELF, STAFF), summary="A schedulable object's plan")
def get_schedule(houseId: HouseId, name: ObjectName) -> ObjectPlan:
    return Settings.from_env().scheduler().plan(houseId, name)


@app.put(
    SCHEDULE,
    allow=(HOUSE_SELF, STAFF),
    summary="Fix a schedulable object's slots by hand (the community's other plans move around them)",
)
def fix_schedule(houseId: HouseId, name: ObjectName, request: FixedSchedule) -> ObjectPlan:
    settings = Settings.from_env()
    return settings.scheduler().fix(houseId, name, request, settings.now())


@app.delete(
    SCHEDULE, allow=(HOUSE_SELF, STAFF), summary="Cancel a schedulable object's plan (the cancelled plan)"
)
def cancel_schedule(houseId: HouseId, name: ObjectName) -> ObjectPlan:
    service = Settings.from_env().scheduler()
    plan = service.plan(houseId, name)
    service.cancel(houseId, name)
    return plan


def require_community(settings: Settings, community_id: str) -> None:
    if CommunitiesRepository(settings.communities_table).get(community_id) is None:
        raise NotFound(f"no community {community_id}", field="communityId")


class LoadPoint(BaseModel):
    start: str
    otherW: float = Field(description="expected load without the schedulable objects (less production)")
    withPlansW: float = Field(description="expected load with every plan")


class CommunitySchedule(BaseModel):
    communityId: str
    date: str
    stepMinutes: int
    thresholdW: float = Field(description="the community's capacity (its peak threshold)")
    peakOtherW: float
    peakWithPlansW: float
    plans: list[ObjectPlan] = Field(description="every plan with energy on that day")
    load: list[LoadPoint] = Field(description="a point per tick of the day")

    @classmethod
    def of(
        cls, community_id: str, day: dt.date, load: CommunityLoad, threshold_w: float
    ) -> CommunitySchedule:
        starts = load.grid.starts()
        return cls(
            communityId=community_id,
            date=day.isoformat(),
            stepMinutes=int(load.grid.step.total_seconds() // 60),
            thresholdW=threshold_w,
            peakOtherW=round(float(max(load.other_w)), 1),
            peakWithPlansW=round(float(max(load.with_plans_w)), 1),
            plans=load.plans,
            load=[
                LoadPoint(start=iso(s), otherW=round(float(o), 1), withPlansW=round(float(w), 1))
                for s, o, w in zip(starts, load.other_w, load.with_plans_w, strict=True)
            ],
        )


@app.get(
    "/communities/<communityId>/schedule",
    allow=STAFF,
    summary="A community's plans on a day, and its expected load with and without them",
)
def community_schedule(
    communityId: CommunityId,
    date: Annotated[dt.date, Query(description="the day (UTC), e.g. 2026-03-01")],
) -> CommunitySchedule:
    settings = Settings.from_env()
    require_community(settings, communityId)
    day_start = dt.datetime(date.year, date.month, date.day, tzinfo=dt.UTC)
    load = settings.scheduler().community_schedule(communityId, day_start, settings.now())
    return CommunitySchedule.of(communityId, date, load, settings.peak_threshold_w)


SHEDDING = "/communities/<communityId>/shedding"


@app.post(
    SHEDDING,
    allow=STAFF,
    status_code=201,
    summary="Stop a community's schedulable objects for a while (they resume after)",
)
def shed(communityId: CommunityId, request: ManualShedding) -> Shedding:
    settings = Settings.from_env()
    require_community(settings, communityId)
    return settings.scheduler().shed_by_hand(communityId, request.minutes, settings.now())


@app.get(SHEDDING, allow=STAFF, summary="A community's sheddings, active or to come")
def sheddings(communityId: CommunityId) -> Sheddings:
    settings = Settings.from_env()
    require_community(settings, communityId)
    return Sheddings(
        communityId=communityId, sheddings=settings.scheduler().sheddings_of(communityId, settings.now())
    )


@app.delete(
    SHEDDING, allow=STAFF, summary="Resume a community's schedulable objects now (ends every shedding)"
)
def resume(communityId: CommunityId) -> Sheddings:
    settings = Settings.from_env()
    require_community(settings, communityId)
    return Sheddings(
        communityId=communityId, sheddings=settings.scheduler().end_sheddings(communityId, settings.now())
    )


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
