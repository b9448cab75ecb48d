"""What the two providers share: settings, the intake, and how outcomes are answered."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from smartgrid.bus import Bus
from smartgrid.errors import Conflict
from smartgrid.intake import Intake
from smartgrid.settings import AuthSettings
from smartgrid.stores.ledger import Outcome, ReadingsLedger


class ProviderSettings(AuthSettings):
    readings_ledger_table: str = Field(alias="READINGS_LEDGER_TABLE")
    tick_minutes: int = Field(1, alias="TICK_MINUTES", ge=1, le=60)


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
