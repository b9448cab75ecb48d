"""vpp-service, on each community's judged tick (energy.output.community): what each enrolled
house delivered to the order covering the tick, and its latest surplus (for the capacity)."""

from __future__ import annotations

from typing import Any

from smartgrid.consumer import consume
from smartgrid.events import EnergyOutputCommunity, Message
from smartgrid.observability import observability
from smartgrid.vppservice import VppSettings

obs = observability()


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    service = VppSettings.from_env().service()

    def settle(message: Message[EnergyOutputCommunity]) -> None:
        deliveries = service.settle(message.events)
        if deliveries:
            obs.logger.debug("vpp deliveries", extra={"count": len(deliveries)})

    return consume(event, context, EnergyOutputCommunity, settle)
