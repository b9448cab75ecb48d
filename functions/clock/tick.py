"""clock, on the EventBridge schedule: one tick moves the grid clock on."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source

from smartgrid.clockservice import ClockService, ClockSettings
from smartgrid.observability import observability

obs = observability()


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
@event_source(data_class=EventBridgeEvent)
def handler(event: EventBridgeEvent, context: Any) -> dict[str, Any]:
    move = ClockService(ClockSettings.from_env()).advance(ticks=1)
    obs.logger.debug("tick", extra={"now": move.now, "scheduled": event.time})
    return move.__dict__
