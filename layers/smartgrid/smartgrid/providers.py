"""What the two providers share: settings, the intake, and how outcomes are answered."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, Field

from smartgrid.bus import Bus
from smartgrid.clockservice import ClockReaderSettings, grid_now
from smartgrid.errors import Conflict
from smartgrid.gridtime import parse_instant
from smartgrid.intake import Intake
from smartgrid.readings import ReadingWindow
from smartgrid.settings import AuthSettings
from smartgrid.stores.ledger import Outcome, ReadingsLedger


class ProviderSettings(AuthSettings, ClockReaderSettings):
    readings_ledger_table: str = Field(alias="READINGS_LEDGER_TABLE")
    future_tolerance_minutes: int = Field(1440, alias="READINGS_FUTURE_TOLERANCE_MINUTES", ge=1)


def reading_window(settings: ProviderSettings) -> ReadingWindow:
    """When a reading may start, now: up to the grid clock plus the tolerance."""
    latest = parse_instant(grid_now(settings)) + timedelta(minutes=settings.future_tolerance_minutes)
    return ReadingWindow(latest, settings.tick_minutes)


class Receipt(BaseModel):
    status: Literal["accepted", "duplicate"] = Field(
        description="duplicate: the same reading was sent before"
    )
    timestamp: str = Field(description="the tick the reading is filed under")


def intake(settings: ProviderSettings) -> Intake:
    return Intake(ReadingsLedger(settings.readings_ledger_table), Bus())


def receipt(outcome: Outcome, timestamp: str) -> Receipt:
    if outcome is Outcome.CONFLICT:
        raise Conflict(f"a different reading for {timestamp} was received before", field="timestamp")
    return Receipt(status="accepted" if outcome is Outcome.ACCEPTED else "duplicate", timestamp=timestamp)
