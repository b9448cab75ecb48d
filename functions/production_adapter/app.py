"""production-adapter, over HTTP: the setpoint a utility producer is asked to produce."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel, Field

from smartgrid.access import PRODUCER_SELF, STAFF
from smartgrid.api import GridApi
from smartgrid.observability import observability
from smartgrid.settings import AuthSettings
from smartgrid.stores.producers import ProducersRepository
from smartgrid.stores.setpoints import ProducerSetpoints

obs = observability()
app = GridApi("production-adapter")


class Settings(AuthSettings):
    adapter_table: str = Field(alias="ADAPTER_TABLE")


class Setpoint(BaseModel):
    producerId: str
    setpointW: float | None = Field(
        description="what to produce (W); null: none yet, keep your own production"
    )
    limitW: float | None = Field(description="the production limit the grid knows (W); null for a house")


@app.get(
    "/producers/<producerId>/setpoint",
    allow=(PRODUCER_SELF, STAFF),
    summary="The production a producer is asked for, within its limit",
)
def setpoint(producerId: Annotated[str, Path(min_length=3, max_length=64)]) -> Setpoint:
    settings = Settings.from_env()
    control = ProducerSetpoints(settings.adapter_table).control(producerId)
    if control is not None:
        return Setpoint(producerId=producerId, setpointW=control.setpointW, limitW=control.limitW)
    producer = ProducersRepository(settings.producers_table).require(producerId)
    return Setpoint(producerId=producerId, setpointW=None, limitW=producer.productionLimitW)


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
