"""malfunction-detector, on each move of the clock (EventBridge `Clock Advanced`): judges
whether each house that has reported is silent (nothing since the end of the move N moves
before this one), and whether most of a community's houses are; publishes alerts on `alert`,
and closes those of houses that report again. Run twice for one move, it decides the same.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from pydantic import Field

from smartgrid.clock import ClockMove
from smartgrid.malfunctions.detector import DetectorSettings
from smartgrid.observability import observability
from smartgrid.stores.communities import CommunitiesRepository

obs = observability()


class Settings(DetectorSettings):
    communities_table: str = Field(alias="COMMUNITIES_TABLE")


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
@event_source(data_class=EventBridgeEvent)
def handler(event: EventBridgeEvent, context: Any) -> dict[str, Any]:
    settings = Settings.from_env()
    move = ClockMove.model_validate(event.detail)
    communities = [c.communityId for c in CommunitiesRepository(settings.communities_table).all()]
    outcome = settings.detector().on_move(move, communities)
    obs.logger.debug("silence judged", extra={"now": move.now, "silent": len(outcome.silent)})
    return {
        "cutoff": outcome.cutoff,
        "houses": outcome.houses,
        "silent": outcome.silent,
        "alerts": outcome.alerts,
    }
