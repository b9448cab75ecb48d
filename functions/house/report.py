"""house, on every move of the grid clock (`Clock Advanced`): every simulated house reports.

Per-object consumption and production for each tick of the move (hourly readings for a long
jump), posted through the head-end (`POST /readings` batches); batteries follow the VPP's
setpoints (read-only from the VPP's table).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from pydantic import Field

from smartgrid.gridclient import ApiClientSettings, GridClient
from smartgrid.observability import observability
from smartgrid.settings import GridSettings
from smartgrid.simulation.houses import HouseFleet, house_table, plan_lookup
from smartgrid.simulation.timeline import ClockMove
from smartgrid.stores.schedules import SchedulesStore
from smartgrid.stores.vpp import VppRepository
from smartgrid.vppservice import setpoints

obs = observability()


class Settings(ApiClientSettings, GridSettings):
    sim_houses_table: str = Field(alias="SIM_HOUSES_TABLE")
    schedules_table: str = Field(alias="SCHEDULES_TABLE")
    vpp_table: str = Field(alias="VPP_TABLE")


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
@obs.metrics.log_metrics
@event_source(data_class=EventBridgeEvent)
def handler(event: EventBridgeEvent, context: Any) -> dict[str, Any]:
    settings = Settings.from_env()
    move = ClockMove.model_validate(event.detail)
    fleet = HouseFleet(
        house_table(settings.sim_houses_table),
        lambda: GridClient.from_settings(settings),
        plan_lookup(SchedulesStore(settings.schedules_table)),
        partial(setpoints, VppRepository(settings.vpp_table)),
    )
    summary = fleet.report(move)
    if summary.refused:
        obs.logger.warning("readings refused", extra={"refused": summary.refused, "why": summary.refusals})
    obs.logger.debug("houses reported", extra={"move": move.model_dump(), **summary.model_dump()})
    obs.metrics.add_metric(name="SimulatedReadings", unit="Count", value=summary.readings)
    return summary.model_dump()
