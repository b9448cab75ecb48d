"""client-consumption-api: a house's consumption for a date (per object) or a period (per day)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel, Field

from smartgrid.access import HOUSE_SELF, STAFF
from smartgrid.api import GridApi
from smartgrid.observability import observability
from smartgrid.periods import Day, PeriodEnd, PeriodStart, date_or_period
from smartgrid.settings import AuthSettings
from smartgrid.stores.clients import ClientsRepository
from smartgrid.stores.consumption import DailyConsumptionStore, DetailedConsumptionStore
from smartgrid.units import mwh_to_wh

obs = observability()
app = GridApi("client-consumption-api")

HouseId = Annotated[str, Path(min_length=3, max_length=64)]


class Settings(AuthSettings):
    daily_consumption_table: str = Field(alias="DAILY_CONSUMPTION_TABLE")
    detailed_consumption_table: str = Field(alias="DETAILED_CONSUMPTION_TABLE")


class DayConsumption(BaseModel):
    houseId: str
    date: str
    wh: float
    objects: dict[str, float] = Field(description="object name to Wh, largest first")


class DayTotal(BaseModel):
    date: str
    wh: float


class PeriodConsumption(BaseModel):
    model_config = {"populate_by_name": True}

    houseId: str
    from_: str = Field(alias="from", serialization_alias="from")
    to: str
    wh: float
    days: list[DayTotal]


class Slot(BaseModel):
    timestamp: str
    wh: float


class ObjectConsumption(BaseModel):
    houseId: str
    name: str
    date: str
    wh: float
    readings: list[Slot]


@app.get(
    "/houses/<houseId>/consumption",
    allow=(HOUSE_SELF, STAFF),
    summary="A house's consumption: one day per object (?date=), or a period per day (?from=&to=)",
    response_description="DayConsumption for ?date=, PeriodConsumption for ?from=&to=",
)
def house_consumption(
    houseId: HouseId, date: Day = None, start: PeriodStart = None, end: PeriodEnd = None
) -> DayConsumption | PeriodConsumption:
    settings = Settings.from_env()
    days = date_or_period(date, start, end)
    ClientsRepository(settings.clients_table).require(houseId)
    totals = DailyConsumptionStore(settings.daily_consumption_table).days(
        houseId, [d.isoformat() for d in days]
    )
    if date is not None:
        objects = DetailedConsumptionStore(settings.detailed_consumption_table).objects(
            houseId, date.isoformat()
        )
        by_object = sorted(
            ((name, sum(slots.values())) for name, slots in objects.items()), key=lambda t: (-t[1], t[0])
        )
        return DayConsumption(
            houseId=houseId,
            date=date.isoformat(),
            wh=mwh_to_wh(totals[date.isoformat()]),
            objects={name: mwh_to_wh(mwh) for name, mwh in by_object},
        )
    return PeriodConsumption(
        houseId=houseId,
        from_=days[0].isoformat(),
        to=days[-1].isoformat(),
        wh=mwh_to_wh(sum(totals.values())),
        days=[DayTotal(date=d, wh=mwh_to_wh(mwh)) for d, mwh in totals.items()],
    )


@app.get(
    "/houses/<houseId>/consumption/objects/<name>",
    allow=(HOUSE_SELF, STAFF),
    summary="One object's readings for a day",
)
def object_consumption(
    houseId: HouseId,
    name: Annotated[str, Path(min_length=1, max_length=64)],
    date: Annotated[dt.date, Query(description="the day, YYYY-MM-DD")],
) -> ObjectConsumption:
    settings = Settings.from_env()
    ClientsRepository(settings.clients_table).require(houseId)
    slots = DetailedConsumptionStore(settings.detailed_consumption_table).object(
        houseId, date.isoformat(), name
    )
    return ObjectConsumption(
        houseId=houseId,
        name=name,
        date=date.isoformat(),
        wh=mwh_to_wh(sum(slots.values())),
        readings=[
            Slot(timestamp=f"{date.isoformat()}T{slot}:00Z", wh=mwh_to_wh(mwh))
            for slot, mwh in sorted(slots.items())
        ],
    )


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
