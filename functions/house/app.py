"""house: staff set up simulated houses and their objects (the fleet of smart boxes).

Each house is registered through the grid's own API and reports through it every tick (see
`report.py`); these routes only describe the houses (objects switched, added, removed; a battery fitted).
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import Field

from smartgrid.access import STAFF
from smartgrid.api import GridApi
from smartgrid.gridclient import ApiClientSettings, GridClient
from smartgrid.observability import observability
from smartgrid.settings import GridSettings
from smartgrid.simulation.house import BatteryRequest, ObjectChange, ObjectSpec
from smartgrid.simulation.houses import HouseFleet, HouseRequest, SimHouseView, house_table

obs = observability()
app = GridApi("house")

HouseId = Annotated[str, Path(min_length=3, max_length=64)]
Name = Annotated[str, Path(min_length=1, max_length=64)]


class Settings(ApiClientSettings, GridSettings):
    sim_houses_table: str = Field(alias="SIM_HOUSES_TABLE")


def fleet() -> HouseFleet:
    settings = Settings.from_env()
    return HouseFleet(house_table(settings.sim_houses_table), lambda: GridClient.from_settings(settings))


@app.post(
    "/sim/houses",
    allow=STAFF,
    status_code=201,
    summary="Create a simulated house (registered through the API)",
)
def create_house(request: HouseRequest) -> SimHouseView:
    return fleet().create(request)


@app.get("/sim/houses/<houseId>", allow=STAFF, summary="A simulated house: objects, battery, last readings")
def get_house(houseId: HouseId) -> SimHouseView:
    return fleet().view(houseId)


@app.post(
    "/sim/houses/<houseId>/battery",
    allow=STAFF,
    status_code=201,
    summary="Fit a battery to a simulated house that produces (registered through the API)",
)
def add_battery(houseId: HouseId, request: BatteryRequest) -> SimHouseView:
    return fleet().add_battery(houseId, request)


@app.post(
    "/sim/houses/<houseId>/objects",
    allow=STAFF,
    status_code=201,
    summary="Plug an object into a simulated house",
)
def add_object(houseId: HouseId, spec: ObjectSpec) -> SimHouseView:
    return fleet().add_object(houseId, spec)


@app.patch(
    "/sim/houses/<houseId>/objects/<name>",
    allow=STAFF,
    summary="Switch an object on or off, or change its power",
)
def change_object(houseId: HouseId, name: Name, change: ObjectChange) -> SimHouseView:
    return fleet().change_object(houseId, name, change)


@app.delete("/sim/houses/<houseId>/objects/<name>", allow=STAFF, summary="Unplug an object")
def remove_object(houseId: HouseId, name: Name) -> SimHouseView:
    return fleet().remove_object(houseId, name)


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
