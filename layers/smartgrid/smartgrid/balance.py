"""Production follows consumption (consumption-verifier): a frame whose production differs
from its consumption by more than the tolerance asks producers to adapt.

The tolerance is a share of the frame's consumption (1 % by default), but never less than a
floor in W (a few W: an almost empty grid is not chased to the milliwatt). The margin is
consumption - production in W: positive, produce more; negative, produce less.
"""

from __future__ import annotations

from dataclasses import dataclass

from smartgrid.bus import Bus
from smartgrid.events import ElectricityFrame, ProductionAdapt, Topic
from smartgrid.frames import watts
from smartgrid.stores.balance import BalanceChecks
from smartgrid.stores.outbox import publish_once


@dataclass(frozen=True)
class Tolerance:
    percent: float = 1.0
    floor_w: float = 5.0

    def of(self, consumption_w: float) -> float:
        return max(consumption_w * self.percent / 100, self.floor_w)


def imbalance(frame: ElectricityFrame, tolerance: Tolerance) -> ProductionAdapt | None:
    """The adaptation a frame asks for, or None when it is balanced within the tolerance."""
    consumption = watts(frame.grid.consumptionMwh, frame.durationMinutes)
    production = watts(frame.grid.productionMwh, frame.durationMinutes)
    margin = watts(frame.grid.consumptionMwh - frame.grid.productionMwh, frame.durationMinutes)
    if abs(margin) <= tolerance.of(consumption):
        return None
    return ProductionAdapt(
        frameStart=frame.frameStart, marginW=margin, consumptionW=consumption, productionW=production
    )


class Verifier:
    def __init__(self, checks: BalanceChecks, bus: Bus, tolerance: Tolerance) -> None:
        self.checks = checks
        self.bus = bus
        self.tolerance = tolerance

    def verify(self, frame: ElectricityFrame, lease_ms: int) -> ProductionAdapt | None:
        """Publishes the frame's adaptation once, however often the frame is delivered; the
        adaptation this call published, if any."""
        adapt = imbalance(frame, self.tolerance)
        if adapt is None:
            return None
        record = self.checks.record(adapt)

        def publish(payload: str) -> None:
            self.bus.publish(Topic.PRODUCTION_ADAPT, [ProductionAdapt.model_validate_json(payload)])

        published = publish_once(
            self.checks.outbox, self.checks.key(frame.frameStart), record, publish, lease_ms
        )
        return adapt if published else None
