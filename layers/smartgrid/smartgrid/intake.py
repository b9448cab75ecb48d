"""The providers' shared path onto the bus: record each reading once, then publish it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from smartgrid.bus import Bus
from smartgrid.events import DetailedConsumptionReading, ProductionReading, Topic
from smartgrid.readings import body_sha256, ledger_key
from smartgrid.stores.ledger import Outcome, ReadingsLedger

Reading = DetailedConsumptionReading | ProductionReading


@dataclass
class Intake:
    ledger: ReadingsLedger
    bus: Bus

    def submit(self, readings: Sequence[Reading]) -> list[Outcome]:
        """Each reading's outcome, in order. Accepted and duplicate readings are published:
        a duplicate may be the retry of a post whose publish failed, and every consumer is
        idempotent. Two readings for one key in the same batch: the second is a duplicate
        or a conflict of the first."""
        digests: dict[tuple[str, str], str] = {}
        first_index: dict[tuple[str, str], int] = {}
        for index, reading in enumerate(readings):
            first_index.setdefault(ledger_key(reading), index)
        for reading in readings:
            digests.setdefault(ledger_key(reading), body_sha256(reading))
        recorded = self.ledger.record(digests)
        outcomes: list[Outcome] = []
        for index, reading in enumerate(readings):
            key = ledger_key(reading)
            if first_index[key] == index:
                outcomes.append(recorded[key])
            else:
                outcomes.append(
                    Outcome.DUPLICATE if body_sha256(reading) == digests[key] else Outcome.CONFLICT
                )
        delivered = [
            r
            for i, r in enumerate(readings)
            if first_index[ledger_key(r)] == i and outcomes[i] is not Outcome.CONFLICT
        ]
        self.bus.publish(
            Topic.CONSUMPTION_RAW_DETAILED,
            [r for r in delivered if isinstance(r, DetailedConsumptionReading)],
        )
        self.bus.publish(
            Topic.PRODUCTION_RAW_GLOBAL, [r for r in delivered if isinstance(r, ProductionReading)]
        )
        return outcomes
