"""consumption-adder: each detailed reading's objects summed into the house's consumption."""

from __future__ import annotations

from typing import Any

from smartgrid.bus import Bus
from smartgrid.consumer import consume
from smartgrid.events import ClientConsumption, DetailedConsumptionReading, Message, Topic
from smartgrid.observability import observability

obs = observability()


def total(reading: DetailedConsumptionReading) -> ClientConsumption:
    return ClientConsumption(
        houseId=reading.houseId,
        communityId=reading.communityId,
        timestamp=reading.timestamp,
        durationMinutes=reading.durationMinutes,
        mwh=sum(reading.objects.values()),
    )


def add(message: Message[DetailedConsumptionReading]) -> None:
    # Republishing after a crash is harmless: every consumer of consumption.client is idempotent.
    Bus().publish(Topic.CONSUMPTION_CLIENT, [total(r) for r in message.events])


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return consume(event, context, DetailedConsumptionReading, add)
