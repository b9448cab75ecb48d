"""production-adapter, on the bus: limits (production.limit), utility producers' actual
production (production.raw.global), and margins to share (production.adapt), which set the
producers' setpoints and, when every limit is reached, publish reach.production.limit."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from smartgrid.adapter import ProductionAdapter
from smartgrid.bus import Bus
from smartgrid.consumer import consume_topics
from smartgrid.events import Message, Topic
from smartgrid.observability import observability
from smartgrid.settings import GridSettings
from smartgrid.stores.adapter import AdapterStore
from smartgrid.stores.outbox import lease_for
from smartgrid.stores.producers import ProducersRepository

obs = observability()


class Settings(GridSettings):
    adapter_table: str = Field(alias="ADAPTER_TABLE")
    producers_table: str = Field(alias="PRODUCERS_TABLE")


def adapter() -> ProductionAdapter:
    settings = Settings.from_env()
    producers = ProducersRepository(settings.producers_table)

    def limits_of(producer_ids: list[str]) -> dict[str, float | None]:
        return {pid: p.productionLimitW for pid, p in producers.get_many(producer_ids).items()}

    return ProductionAdapter(AdapterStore(settings.adapter_table), Bus(), limits_of, settings.tick_minutes)


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    def adapt(message: Message[Any]) -> None:
        service = adapter()
        for margin in message.events:
            service.on_adapt(margin, lease_for(context))

    return consume_topics(
        event,
        context,
        {
            Topic.PRODUCTION_ADAPT: adapt,
            Topic.PRODUCTION_LIMIT: lambda message: adapter().on_limits(message.events),
            Topic.PRODUCTION_RAW_GLOBAL: lambda message: adapter().on_production(message.events),
        },
    )
