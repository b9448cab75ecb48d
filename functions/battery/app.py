"""battery: a house's battery and its states over time (story 15), read from the batteries
table that battery-provider fills as it accepts."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel, Field

from smartgrid.access import HOUSE_SELF, STAFF
from smartgrid.api import GridApi
from smartgrid.batteries import BATTERY_OWNER, BatteryView, StateView, battery_id_of, state_view
from smartgrid.errors import NotFound, Unprocessable
from smartgrid.gridtime import iso, parse_instant
from smartgrid.observability import observability
from smartgrid.settings import AuthSettings
from smartgrid.stores.batteries import BatteriesRepository

obs = observability()
app = GridApi("battery")

HouseId = Annotated[str, Path(min_length=3, max_length=64)]
BatteryId = Annotated[str, Path(min_length=3, max_length=70)]
MAX_PERIOD = dt.timedelta(days=1)


class Settings(AuthSettings):
    batteries_table: str = Field(alias="BATTERIES_TABLE")


class StateList(BaseModel):
    model_config = {"populate_by_name": True}

    batteryId: str
    from_: str = Field(alias="from", serialization_alias="from")
    to: str
    states: list[StateView] = Field(description="states at instants in [from, to], in time order")


def batteries() -> BatteriesRepository:
    return BatteriesRepository(Settings.from_env().batteries_table)


@app.get("/batteries/<batteryId>", allow=(BATTERY_OWNER, STAFF), summary="A battery and its latest state")
def get_battery(batteryId: BatteryId) -> BatteryView:
    return batteries().require(batteryId).view()


@app.get(
    "/batteries/<batteryId>/states",
    allow=(BATTERY_OWNER, STAFF),
    summary="A battery's states at instants in [from, to] (at most a day), in time order",
)
def get_states(
    batteryId: BatteryId,
    start: Annotated[dt.datetime, Query(alias="from", description="ISO 8601 instant (UTC if no zone)")],
    end: Annotated[dt.datetime, Query(alias="to", description="ISO 8601 instant, after from")],
) -> StateList:
    first, last = parse_instant(start.isoformat()), parse_instant(end.isoformat())
    if last <= first:
        raise Unprocessable("to must be after from", field="to")
    if last - first > MAX_PERIOD:
        raise Unprocessable("a period is at most a day", field="to")
    repository = batteries()
    repository.require(batteryId)
    states = repository.between(batteryId, first, last)
    return StateList(
        batteryId=batteryId, from_=iso(first), to=iso(last), states=[state_view(s) for s in states]
    )


@app.get("/houses/<houseId>/battery", allow=(HOUSE_SELF, STAFF), summary="A house's battery, if it has one")
def get_house_battery(houseId: HouseId) -> BatteryView:
    found = batteries().get(battery_id_of(houseId))
    if found is None:
        raise NotFound(f"house {houseId} has no battery", field="houseId")
    return found.view()


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
