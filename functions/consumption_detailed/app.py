"""consumption-detailed: every object's readings, kept per house, day and object."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from smartgrid.consumer import consume
from smartgrid.events import DetailedConsumptionReading, Message
from smartgrid.observability import observability
from smartgrid.settings import EnvSettings
from smartgrid.stores.consumption import DetailedConsumptionStore

obs = observability()


class Settings(EnvSettings):
    detailed_consumption_table: str = Field(alias="DETAILED_CONSUMPTION_TABLE")


def store(message: Message[DetailedConsumptionReading]) -> None:
    DetailedConsumptionStore(Settings.from_env().detailed_consumption_table).write(message.events)


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return consume(event, context, DetailedConsumptionReading, store)
