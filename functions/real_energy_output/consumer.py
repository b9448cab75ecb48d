"""real-energy-output, on the bus: every house reading (consumption.client, a house producer's
production.raw.global) and battery state (battery.state) stored once in its hour or day, and
the house's hours it touches recomputed (see `smartgrid.stores.energy`). Stateless: any number
of copies may run."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from smartgrid.consumer import consume_topics
from smartgrid.events import Message, Topic
from smartgrid.observability import observability
from smartgrid.settings import GridSettings
from smartgrid.stores.clients import ClientsRepository
from smartgrid.stores.energy import EnergyStore

obs = observability()


class Settings(GridSettings):
    energy_table: str = Field(alias="ENERGY_TABLE")
    clients_table: str = Field(alias="CLIENTS_TABLE")


def add(message: Message[Any]) -> None:
    settings = Settings.from_env()
    # A reading sent while its house registered has no community yet: the client database may know it now.
    communities = ClientsRepository(settings.clients_table).communities
    EnergyStore(settings.energy_table, settings.tick_minutes).add(message.events, communities)


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return consume_topics(
        event,
        context,
        {Topic.CONSUMPTION_CLIENT: add, Topic.PRODUCTION_RAW_GLOBAL: add, Topic.BATTERY_STATE: add},
    )
