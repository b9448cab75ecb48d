"""production-api: a producer's production for a date (tick by tick) or a period (per day),
and the grid's production over a period, house producers and utility producers apart."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel, ConfigDict, Field

from smartgrid.access import PRODUCER_SELF, STAFF
from smartgrid.api import GridApi
from smartgrid.observability import observability
from smartgrid.periods import Day, PeriodEnd, PeriodStart, date_or_period, iso_days, period_days
from smartgrid.settings import AuthSettings
from smartgrid.stores.producers import ProducersRepository
from smartgrid.stores.production import DailyProductionStore, GlobalProductionStore
from smartgrid.units import mwh_to_wh

obs = observability()
app = GridApi("production-api")

ProducerId = Annotated[str, Path(min_length=3, max_length=64)]


class Settings(AuthSettings):
    global_production_table: str = Field(alias="GLOBAL_PRODUCTION_TABLE")
    daily_production_table: str = Field(alias="DAILY_PRODUCTION_TABLE")


class ProductionTick(BaseModel):
    timestamp: str
    wh: float


class ProducerDayProduction(BaseModel):
    producerId: str
    date: str
    wh: float
    readings: list[ProductionTick] = Field(description="each tick's production, in order")


class ProductionDayTotal(BaseModel):
    date: str
    wh: float


class ProducerPeriodProduction(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    producerId: str
    from_: str = Field(alias="from", serialization_alias="from")
    to: str
    wh: float
    days: list[ProductionDayTotal]


class ProductionByKind(BaseModel):
    house: float = Field(description="houses' own production (solar panels), Wh")
    utility: float = Field(description="utility producers' production, Wh")


class GridProductionDay(BaseModel):
    date: str
    wh: float
    byKind: ProductionByKind


class GridProductionPeriod(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from", serialization_alias="from")
    to: str
    wh: float
    byKind: ProductionByKind
    days: list[GridProductionDay]


@app.get(
    "/producers/<producerId>/production",
    allow=(PRODUCER_SELF, STAFF),
    summary="A producer's production: one day tick by tick (?date=), or a period per day (?from=&to=)",
    response_description="ProducerDayProduction for ?date=, ProducerPeriodProduction for ?from=&to=",
)
def producer_production(
    producerId: ProducerId, date: Day = None, start: PeriodStart = None, end: PeriodEnd = None
) -> ProducerDayProduction | ProducerPeriodProduction:
    settings = Settings.from_env()
    days = iso_days(date_or_period(date, start, end))
    producer = ProducersRepository(settings.producers_table).require(producerId)
    if date is not None:
        ticks = GlobalProductionStore(settings.global_production_table).producer(
            days[0], producer.kind.value, producerId
        )
        return ProducerDayProduction(
            producerId=producerId,
            date=days[0],
            wh=mwh_to_wh(sum(ticks.values())),
            readings=[
                ProductionTick(timestamp=f"{days[0]}T{tick}:00Z", wh=mwh_to_wh(mwh))
                for tick, mwh in ticks.items()
            ],
        )
    totals = DailyProductionStore(settings.daily_production_table).days(producerId, days)
    return ProducerPeriodProduction(
        producerId=producerId,
        from_=days[0],
        to=days[-1],
        wh=mwh_to_wh(sum(totals.values())),
        days=[ProductionDayTotal(date=d, wh=mwh_to_wh(mwh)) for d, mwh in totals.items()],
    )


@app.get(
    "/grid/production",
    allow=STAFF,
    summary="The grid's production over a period (?from=&to=), per day, houses and utilities apart",
)
def grid_production(start: PeriodStart = None, end: PeriodEnd = None) -> GridProductionPeriod:
    settings = Settings.from_env()
    days = iso_days(period_days(start, end))
    totals = DailyProductionStore(settings.daily_production_table).grid_days(days)
    house = sum(kinds["house"] for kinds in totals.values())
    utility = sum(kinds["utility"] for kinds in totals.values())
    return GridProductionPeriod(
        from_=days[0],
        to=days[-1],
        wh=mwh_to_wh(house + utility),
        byKind=ProductionByKind(house=mwh_to_wh(house), utility=mwh_to_wh(utility)),
        days=[
            GridProductionDay(
                date=d,
                wh=mwh_to_wh(kinds["house"] + kinds["utility"]),
                byKind=ProductionByKind(house=mwh_to_wh(kinds["house"]), utility=mwh_to_wh(kinds["utility"])),
            )
            for d, kinds in totals.items()
        ],
    )


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
