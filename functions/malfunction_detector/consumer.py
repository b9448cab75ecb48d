"""malfunction-detector, on the bus: judges every house reading (consumption.raw.detailed,
production.raw.global, battery.state) and every reading refused as impossible
(reading.refused), and compares each closed tick's two tallies of a community
(electricity.frame, energy.output.community); publishes alerts on `alert`.

A tick is compared once both tallies are stored, by whichever of the two messages comes
second (the first finds the other missing): each is read from its owner's store.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from smartgrid.bus import Bus
from smartgrid.consumer import consume_topics
from smartgrid.energyjudge import EnergyJudge
from smartgrid.events import ElectricityFrame, EnergyOutputCommunity, Message, Topic
from smartgrid.malfunctions.detector import Detector, DetectorSettings
from smartgrid.observability import observability
from smartgrid.stores.energy import EnergyStore
from smartgrid.stores.frames import ClosedFramesRepository

obs = observability()


class Settings(DetectorSettings):
    closed_frames_table: str = Field(alias="CLOSED_FRAMES_TABLE")
    energy_table: str = Field(alias="ENERGY_TABLE")


def compare(settings: Settings, detector: Detector, frame_start: str, frame: ElectricityFrame | None) -> int:
    """Compares a tick's tallies if both are stored; how many alerts that published."""
    frame = frame or ClosedFramesRepository(settings.closed_frames_table).frame(frame_start)
    judged = EnergyJudge(EnergyStore(settings.energy_table, settings.tick_minutes), Bus()).judged(frame_start)
    if frame is None or judged is None:
        return 0
    return len(detector.on_tallies(frame, judged))


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    settings = Settings.from_env()
    detector = settings.detector()

    def readings(message: Message[Any]) -> None:
        alerts = detector.on_readings(message.events)
        obs.logger.debug("readings judged", extra={"readings": len(message.events), "alerts": len(alerts)})

    def frames(message: Message[ElectricityFrame]) -> None:
        for frame in message.events:
            compare(settings, detector, frame.frameStart, frame)

    def judged(message: Message[EnergyOutputCommunity]) -> None:
        for frame_start in sorted({event.frameStart for event in message.events}):
            compare(settings, detector, frame_start, None)

    return consume_topics(
        event,
        context,
        {
            Topic.CONSUMPTION_RAW_DETAILED: readings,
            Topic.PRODUCTION_RAW_GLOBAL: readings,
            Topic.BATTERY_STATE: readings,
            Topic.READING_REFUSED: readings,
            Topic.ELECTRICITY_FRAME: frames,
            Topic.ENERGY_OUTPUT_COMMUNITY: judged,
        },
    )
