"""daily-consumption-db: each house's consumption per day, and its community's and the grid's,
counted exactly once (see `smartgrid.stores.tally`)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from smartgrid.consumer import consume
from smartgrid.events import ClientConsumption, Message
from smartgrid.observability import observability
from smartgrid.settings import EnvSettings
from smartgrid.stores.clients import ClientsRepository
from smartgrid.stores.consumption import DailyConsumptionStore

obs = observability()


class Settings(EnvSettings):
    daily_consumption_table: str = Field(alias="DAILY_CONSUMPTION_TABLE")
    clients_table: str = Field(alias="CLIENTS_TABLE")


def store(message: Message[ClientConsumption]) -> None:
    settings = Settings.from_env()
    # A reading sent while its house registered has no community yet: the client database may know it now.
    communities = ClientsRepository(settings.clients_table).communities
    DailyConsumptionStore(settings.daily_consumption_table).write(message.events, communities)


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return consume(event, context, ClientConsumption, store)
