"""global-production-database: every producer's production per tick, as received, house
producers and utility producers apart."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from smartgrid.consumer import consume
from smartgrid.events import Message, ProductionReading
from smartgrid.observability import observability
from smartgrid.settings import EnvSettings
from smartgrid.stores.production import GlobalProductionStore

obs = observability()


class Settings(EnvSettings):
    global_production_table: str = Field(alias="GLOBAL_PRODUCTION_TABLE")


def store(message: Message[ProductionReading]) -> None:
    GlobalProductionStore(Settings.from_env().global_production_table).write(message.events)


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return consume(event, context, ProductionReading, store)
