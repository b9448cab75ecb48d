"""autarky-oversight, on each community's tick (energy.output.community): the community's and
its houses' autarky judged in tick order, each change notified once (client.notification)."""

from __future__ import annotations

from typing import Any

from smartgrid.bus import Bus
from smartgrid.consumer import consume
from smartgrid.events import EnergyOutputCommunity, Message
from smartgrid.observability import observability
from smartgrid.oversight import AutarkyOversight, AutarkySettings
from smartgrid.stores.autarky import AutarkyStore
from smartgrid.stores.outbox import lease_for

obs = observability()


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    settings = AutarkySettings.from_env()
    oversight = AutarkyOversight(AutarkyStore(settings.autarky_table), Bus(), settings.oversight())

    def judge(message: Message[EnergyOutputCommunity]) -> None:
        for notification in oversight.on_events(message.events, lease_for(context)):
            obs.logger.info("autarky changed", extra=notification.model_dump())

    return consume(event, context, EnergyOutputCommunity, judge)
