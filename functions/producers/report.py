"""producers, on every move of the grid clock (`Clock Advanced`): every simulated producer
reports its production (its setpoint, or its own production, within its limit)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from pydantic import Field

from smartgrid.gridclient import ApiClientSettings, GridClient
from smartgrid.observability import observability
from smartgrid.settings import GridSettings
from smartgrid.simulation.producers import ProducerFleet, producer_table, setpoints_from
from smartgrid.simulation.timeline import ClockMove

obs = observability()


class Settings(ApiClientSettings, GridSettings):
    sim_producers_table: str = Field(alias="SIM_PRODUCERS_TABLE")
    adapter_table: str = Field("", alias="ADAPTER_TABLE", description="the production-adapter's setpoints")


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
@event_source(data_class=EventBridgeEvent)
def handler(event: EventBridgeEvent, context: Any) -> dict[str, Any]:
    settings = Settings.from_env()
    move = ClockMove.model_validate(event.detail)
    fleet = ProducerFleet(
        producer_table(settings.sim_producers_table), lambda: GridClient.from_settings(settings)
    )
    summary = fleet.report(move, setpoints_from(settings.adapter_table))
    if summary.refused:
        obs.logger.warning("readings refused", extra={"refused": summary.refused, "why": summary.refusals})
    obs.logger.debug("producers reported", extra={"move": move.model_dump(), **summary.model_dump()})
    return summary.model_dump()
