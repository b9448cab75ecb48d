"""producers: staff set up simulated utility producers (registered through the grid's API).

Each producer reports its production every tick (see `report.py`), following the
production-adapter's setpoint within its limit.
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
from smartgrid.simulation.producer import ProducerSpec, SimProducerChange
from smartgrid.simulation.producers import ProducerFleet, SimProducerView, producer_table

obs = observability()
app = GridApi("producers")

ProducerId = Annotated[str, Path(min_length=3, max_length=64)]


class Settings(ApiClientSettings, GridSettings):
    sim_producers_table: str = Field(alias="SIM_PRODUCERS_TABLE")


def fleet() -> ProducerFleet:
    settings = Settings.from_env()
    return ProducerFleet(
        producer_table(settings.sim_producers_table), lambda: GridClient.from_settings(settings)
    )


@app.post(
    "/sim/producers",
    allow=STAFF,
    status_code=201,
    summary="Create a simulated utility producer (registered through the API)",
)
def create_producer(spec: ProducerSpec) -> SimProducerView:
    return fleet().create(spec)


@app.get("/sim/producers/<producerId>", allow=STAFF, summary="A simulated producer and its last reading")
def get_producer(producerId: ProducerId) -> SimProducerView:
    return fleet().view(producerId)


@app.patch(
    "/sim/producers/<producerId>",
    allow=STAFF,
    summary="Change a simulated producer's own production or its limit (the grid is told the limit)",
)
def change_producer(producerId: ProducerId, change: SimProducerChange) -> SimProducerView:
    return fleet().change(producerId, change)


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
