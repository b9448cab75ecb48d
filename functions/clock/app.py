"""clock: the grid's simulated time. Anyone reads it; staff fast-forward it."""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from smartgrid.access import ANYONE, STAFF
from smartgrid.api import GridApi
from smartgrid.clockservice import ClockService, ClockSettings
from smartgrid.gridtime import iso
from smartgrid.models import Strict
from smartgrid.observability import observability

obs = observability()
app = GridApi("clock")


class ClockView(BaseModel):
    now: str = Field(description="simulated time, ISO 8601 UTC")
    tickMinutes: int


class AdvanceRequest(Strict):
    ticks: int | None = Field(None, ge=1, le=600_000, description="how many ticks to move on")
    until: AwareDatetime | None = Field(None, description="move on to this instant")

    @model_validator(mode="after")
    def _one_of(self) -> AdvanceRequest:
        if (self.ticks is None) == (self.until is None):
            raise ValueError("give exactly one of ticks or until")
        return self


class AdvanceView(BaseModel):
    previous: str
    now: str
    ticks: int
    tickMinutes: int


def clock() -> ClockService:
    return ClockService(ClockSettings.from_env())


@app.get("/clock", allow=ANYONE, summary="The grid clock")
def read_clock() -> ClockView:
    state = clock().read()
    return ClockView(now=state.now, tickMinutes=state.tickMinutes)


@app.post("/clock/advance", allow=STAFF, summary="Fast-forward the grid clock")
def advance_clock(request: AdvanceRequest) -> AdvanceView:
    move = clock().advance(ticks=request.ticks, until=iso(request.until) if request.until else None)
    return AdvanceView(previous=move.previous, now=move.now, ticks=move.ticks, tickMinutes=move.tickMinutes)


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
