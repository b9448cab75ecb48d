"""electricity-frame, on the bus: every reading (consumption.client, production.raw.global)
added once into its ticks' aggregates. Stateless: any number of copies may run."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from smartgrid.consumer import consume_topics
from smartgrid.events import Message, Topic
from smartgrid.frames import FrameAggregator
from smartgrid.observability import observability
from smartgrid.settings import GridSettings
from smartgrid.stores.clients import ClientsRepository
from smartgrid.stores.frames import FramesStore

obs = observability()


class Settings(GridSettings):
    frames_table: str = Field(alias="FRAMES_TABLE")
    clients_table: str = Field(alias="CLIENTS_TABLE")


def add(message: Message[Any]) -> None:
    settings = Settings.from_env()
    clients = ClientsRepository(settings.clients_table)
    FrameAggregator(FramesStore(settings.frames_table), settings.tick_minutes, clients.communities).add(
        message.events
    )


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return consume_topics(event, context, {Topic.CONSUMPTION_CLIENT: add, Topic.PRODUCTION_RAW_GLOBAL: add})
