"""consumption-api (staff): the grid's and a community's consumption over a period, per day,
read from the daily rollups that daily-consumption-db keeps exact."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel, ConfigDict, Field

from smartgrid.access import STAFF
from smartgrid.api import GridApi
from smartgrid.errors import NotFound
from smartgrid.observability import observability
from smartgrid.periods import PeriodEnd, PeriodStart, iso_days, period_days
from smartgrid.settings import AuthSettings
from smartgrid.stores.communities import CommunitiesRepository
from smartgrid.stores.consumption import DailyConsumptionStore
from smartgrid.units import mwh_to_wh

obs = observability()
app = GridApi("consumption-api")

CommunityId = Annotated[str, Path(min_length=3, max_length=64)]


class Settings(AuthSettings):
    daily_consumption_table: str = Field(alias="DAILY_CONSUMPTION_TABLE")
    communities_table: str = Field(alias="COMMUNITIES_TABLE")


class ConsumptionDayTotal(BaseModel):
    date: str
    wh: float


class GridConsumptionPeriod(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from", serialization_alias="from")
    to: str
    wh: float
    days: list[ConsumptionDayTotal]


class CommunityConsumptionPeriod(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    communityId: str
    from_: str = Field(alias="from", serialization_alias="from")
    to: str
    wh: float
    days: list[ConsumptionDayTotal]


def series(totals: dict[str, int]) -> list[ConsumptionDayTotal]:
    return [ConsumptionDayTotal(date=d, wh=mwh_to_wh(mwh)) for d, mwh in totals.items()]


@app.get(
    "/grid/consumption", allow=STAFF, summary="The grid's consumption over a period (?from=&to=), per day"
)
def grid_consumption(start: PeriodStart = None, end: PeriodEnd = None) -> GridConsumptionPeriod:
    settings = Settings.from_env()
    days = iso_days(period_days(start, end))
    totals = DailyConsumptionStore(settings.daily_consumption_table).grid_days(days)
    return GridConsumptionPeriod(
        from_=days[0], to=days[-1], wh=mwh_to_wh(sum(totals.values())), days=series(totals)
    )


@app.get(
    "/communities/<communityId>/consumption",
    allow=STAFF,
    summary="A community's consumption over a period (?from=&to=), per day",
)
def community_consumption(
    communityId: CommunityId, start: PeriodStart = None, end: PeriodEnd = None
) -> CommunityConsumptionPeriod:
    settings = Settings.from_env()
    days = iso_days(period_days(start, end))
    if CommunitiesRepository(settings.communities_table).get(communityId) is None:
        raise NotFound(f"no community {communityId}", field="communityId")
    totals = DailyConsumptionStore(settings.daily_consumption_table).community_days(communityId, days)
    return CommunityConsumptionPeriod(
        communityId=communityId,
        from_=days[0],
        to=days[-1],
        wh=mwh_to_wh(sum(totals.values())),
        days=series(totals),
    )


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
