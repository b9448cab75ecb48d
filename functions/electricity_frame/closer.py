"""electricity-frame, on each move of the clock (EventBridge `Clock Advanced`): closes the
frames of k ticks before, stores them, and publishes each once on electricity.frame.

One tick a move, a move to `now` closes the frame of now - k ticks; a frame never closes on the
move that ended its tick, so the frames of a move of many ticks close on the next move, when
their readings are in, at most the last 60 after a long jump (see
`smartgrid.frames.frames_to_close`).
Run twice for one move, or again after a crash, it publishes nothing twice.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from pydantic import Field

from smartgrid.bus import Bus
from smartgrid.clock import ClockMove
from smartgrid.frames import FrameCloser, frames_to_close
from smartgrid.observability import observability
from smartgrid.settings import GridSettings
from smartgrid.stores.frames import ClosedFramesRepository, FramesStore
from smartgrid.stores.outbox import lease_for

obs = observability()


class Settings(GridSettings):
    frames_table: str = Field(alias="FRAMES_TABLE")
    closed_frames_table: str = Field(alias="CLOSED_FRAMES_TABLE")
    frame_delay_ticks: int = Field(5, alias="FRAME_DELAY_TICKS", ge=2)


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
@event_source(data_class=EventBridgeEvent)
def handler(event: EventBridgeEvent, context: Any) -> dict[str, Any]:
    settings = Settings.from_env()
    move = ClockMove.model_validate(event.detail)
    closer = FrameCloser(
        FramesStore(settings.frames_table), ClosedFramesRepository(settings.closed_frames_table), Bus()
    )
    published = closer.close_move(move, settings.frame_delay_ticks, lease_for(context))
    closed = frames_to_close(move, settings.frame_delay_ticks)
    return {"closed": closed, "published": published}
