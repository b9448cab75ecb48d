"""consumption-verifier: each closed frame whose production is off its consumption by more
than the tolerance asks producers to adapt (production.adapt), once per frame."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from smartgrid.balance import Tolerance, Verifier
from smartgrid.bus import Bus
from smartgrid.consumer import consume
from smartgrid.events import ElectricityFrame, Message
from smartgrid.observability import observability
from smartgrid.settings import EnvSettings
from smartgrid.stores.balance import BalanceChecks
from smartgrid.stores.outbox import lease_for

obs = observability()


class Settings(EnvSettings):
    balance_table: str = Field(alias="BALANCE_TABLE")
    tolerance_percent: float = Field(1.0, alias="BALANCE_TOLERANCE_PERCENT", ge=0, le=100)
    tolerance_floor_w: float = Field(5.0, alias="BALANCE_TOLERANCE_MIN_W", ge=0)


def verifier() -> Verifier:
    settings = Settings.from_env()
    return Verifier(
        BalanceChecks(settings.balance_table),
        Bus(),
        Tolerance(settings.tolerance_percent, settings.tolerance_floor_w),
    )


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    def verify(message: Message[ElectricityFrame]) -> None:
        checker = verifier()
        for frame in message.events:
            checker.verify(frame, lease_for(context))

    return consume(event, context, ElectricityFrame, verify)
