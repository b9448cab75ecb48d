"""malfunction-detector, on each move of the clock (EventBridge `Clock Advanced`): judges
whether each house that has reported is silent (nothing since the end of the move N moves
before this one), and whether most of a community's houses are; publishes alerts on `alert`,
and closes those of houses that report again. Run twice for one move, it decides the same.
While readings wait in its own queue it judges no later than the last reading heard
(`silence.judged_cutoff`): a detector behind its input does not call the grid silent.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from pydantic import Field

from smartgrid import aws
from smartgrid.clock import ClockMove
from smartgrid.malfunctions.detector import DetectorSettings
from smartgrid.observability import observability
from smartgrid.queues import depth
from smartgrid.stores.communities import CommunitiesRepository

obs = observability()


class Settings(DetectorSettings):
    communities_table: str = Field(alias="COMMUNITIES_TABLE")
    readings_queue_url: str | None = Field(None, alias="READINGS_QUEUE_URL")  # the detector's own queue

    def readings_waiting(self) -> bool:
        """Whether readings wait, unjudged, in the detector's queue."""
        return bool(self.readings_queue_url) and depth(aws.client("sqs"), str(self.readings_queue_url))[0] > 0


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
@event_source(data_class=EventBridgeEvent)
def handler(event: EventBridgeEvent, context: Any) -> dict[str, Any]:
    settings = Settings.from_env()
    move = ClockMove.model_validate(event.detail)
    communities = [c.communityId for c in CommunitiesRepository(settings.communities_table).all()]
    outcome = settings.detector().on_move(move, communities, readings_waiting=settings.readings_waiting())
    if outcome.behind:
        obs.logger.warning(
            "readings wait in the queue: silence judged up to the last one heard",
            extra={"cutoff": outcome.cutoff},
        )
    obs.logger.debug("silence judged", extra={"now": move.now, "silent": len(outcome.silent)})
    return {
        "cutoff": outcome.cutoff,
        "behind": outcome.behind,
        "houses": outcome.houses,
        "silent": outcome.silent,
        "alerts": outcome.alerts,
    }
