"""daily-consumption-db: each house's consumption, per day."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from smartgrid.consumer import consume
from smartgrid.events import ClientConsumption, Message
from smartgrid.observability import observability
from smartgrid.settings import EnvSettings
from smartgrid.stores.consumption import DailyConsumptionStore

obs = observability()


class Settings(EnvSettings):
    daily_consumption_table: str = Field(alias="DAILY_CONSUMPTION_TABLE")


def store(message: Message[ClientConsumption]) -> None:
    DailyConsumptionStore(Settings.from_env().daily_consumption_table).write(message.events)


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return consume(event, context, ClientConsumption, store)
