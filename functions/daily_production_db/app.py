"""daily-production-db: each producer's production per day, and the grid's per kind of
producer (house, utility) and each community's houses', counted exactly once (see
`smartgrid.stores.tally`)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from smartgrid.consumer import consume
from smartgrid.events import Message, ProductionReading
from smartgrid.observability import observability
from smartgrid.settings import EnvSettings
from smartgrid.stores.clients import ClientsRepository
from smartgrid.stores.production import DailyProductionStore

obs = observability()


class Settings(EnvSettings):
    daily_production_table: str = Field(alias="DAILY_PRODUCTION_TABLE")
    clients_table: str = Field(alias="CLIENTS_TABLE")


def store(message: Message[ProductionReading]) -> None:
    settings = Settings.from_env()
    # A house producer's reading sent while its house registered has no community yet.
    communities = ClientsRepository(settings.clients_table).communities
    DailyProductionStore(settings.daily_production_table).write(message.events, communities)


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return consume(event, context, ProductionReading, store)
