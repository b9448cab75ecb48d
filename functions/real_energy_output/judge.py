"""real-energy-output, on each move of the clock (EventBridge `Clock Advanced`): judges each
house's energy over the ticks of k ticks before (as frames close), stores each judged tick,
and publishes it once per community on energy.output.community.

Run twice for one move, or again after a crash, it publishes nothing twice.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from pydantic import Field

from smartgrid.bus import Bus
from smartgrid.clock import ClockMove
from smartgrid.energyjudge import EnergyJudge
from smartgrid.frames import frames_to_close
from smartgrid.observability import observability
from smartgrid.settings import GridSettings
from smartgrid.stores.energy import EnergyStore
from smartgrid.stores.outbox import lease_for

obs = observability()


class Settings(GridSettings):
    energy_table: str = Field(alias="ENERGY_TABLE")
    frame_delay_ticks: int = Field(5, alias="FRAME_DELAY_TICKS", ge=2)


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
@event_source(data_class=EventBridgeEvent)
def handler(event: EventBridgeEvent, context: Any) -> dict[str, Any]:
    settings = Settings.from_env()
    move = ClockMove.model_validate(event.detail)
    judge = EnergyJudge(EnergyStore(settings.energy_table, move.tickMinutes), Bus())
    published = judge.judge_move(move, settings.frame_delay_ticks, lease_for(context))
    judged = frames_to_close(move, settings.frame_delay_ticks)
    return {"judged": judged, "published": published}
