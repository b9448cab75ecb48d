"""consumption-peak, on each closed frame: every community over its threshold peaks
(consumption.peak), once per community and frame."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from smartgrid.bus import Bus
from smartgrid.consumer import consume
from smartgrid.events import ElectricityFrame, Message
from smartgrid.observability import observability
from smartgrid.peaks import PeakDetector
from smartgrid.settings import EnvSettings
from smartgrid.stores.outbox import lease_for
from smartgrid.stores.peaks import PeaksStore

obs = observability()


class Settings(EnvSettings):
    peaks_table: str = Field(alias="PEAKS_TABLE")
    peak_threshold_w: float = Field(10_000.0, alias="PEAK_THRESHOLD_W", gt=0)


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    def detect(message: Message[ElectricityFrame]) -> None:
        settings = Settings.from_env()
        detector = PeakDetector(PeaksStore(settings.peaks_table), Bus(), settings.peak_threshold_w)
        for frame in message.events:
            for peak in detector.on_frame(frame, lease_for(context)):
                obs.logger.debug("peak", extra=peak.model_dump())

    return consume(event, context, ElectricityFrame, detect)
