"""consumption-scheduler, on the bus: a peak sheds its community (consumption.peak); producers
at their limits shed the communities that draw most and warn staff (reach.production.limit);
each closed frame adds to its communities' load history, which plans learn from (electricity.frame)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from smartgrid.bus import Bus
from smartgrid.consumer import consume_topics
from smartgrid.events import ConsumptionPeak, ElectricityFrame, Message, ReachProductionLimit, Topic
from smartgrid.limitalerts import LimitWarnings
from smartgrid.observability import observability
from smartgrid.scheduling import SchedulerSettings
from smartgrid.stores.frames import ClosedFramesRepository
from smartgrid.stores.loadhistory import LoadHistoryStore
from smartgrid.stores.outbox import lease_for

obs = observability()


class Settings(SchedulerSettings):
    closed_frames_table: str = Field(alias="CLOSED_FRAMES_TABLE")


def on_limits(settings: Settings, message: Message[ReachProductionLimit], lease_ms: int) -> None:
    service = settings.scheduler()
    frames = ClosedFramesRepository(settings.closed_frames_table)
    warnings = LimitWarnings(settings.sheddings_table, Bus(), service.hold)
    for event in message.events:
        shed = service.on_limit(event, frames.frame(event.frameStart), settings.now())
        warned = warnings.warn(event, shed, lease_ms)
        obs.logger.debug(
            "production limit reached",
            extra={
                "frameStart": event.frameStart,
                "shortfallW": event.shortfallW,
                "shed": len(shed),
                "warned": warned,
            },
        )


def on_peaks(settings: Settings, message: Message[ConsumptionPeak]) -> None:
    service = settings.scheduler()
    for peak in message.events:
        shedding = service.on_peak(peak, settings.now())
        obs.logger.debug("peak shed" if shedding else "peak over already", extra=peak.model_dump())


def on_frames(settings: Settings, message: Message[ElectricityFrame]) -> None:
    LoadHistoryStore(settings.load_history_table).record(message.events)


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    settings = Settings.from_env()
    return consume_topics(
        event,
        context,
        {
            Topic.CONSUMPTION_PEAK: lambda message: on_peaks(settings, message),
            Topic.REACH_PRODUCTION_LIMIT: lambda message: on_limits(settings, message, lease_for(context)),
            Topic.ELECTRICITY_FRAME: lambda message: on_frames(settings, message),
        },
    )
