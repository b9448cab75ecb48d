"""bill-api, on each move of the grid clock: closes the months past their lateness window."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source

from smartgrid.billsettings import BillSettings
from smartgrid.clock import ClockMove
from smartgrid.gridtime import parse_instant
from smartgrid.observability import observability

obs = observability()


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
@event_source(data_class=EventBridgeEvent)
def handler(event: EventBridgeEvent, context: Any) -> dict[str, Any]:
    move = ClockMove.model_validate(event.detail)
    closed = BillSettings.from_env().service().close_due(parse_instant(move.previous))
    if closed:
        obs.logger.info("months closed", extra={"months": closed})
    return {"closed": closed}
