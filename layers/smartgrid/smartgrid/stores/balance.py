"""The balance checks (owner: consumption-verifier): per frame, the adaptation asked for.

One outbox record per frame that needed one (`frameStart`): stored with a conditional
write, then published once (see `outbox`).
"""

from __future__ import annotations

from smartgrid.events import ProductionAdapt
from smartgrid.stores.outbox import Outbox, Record


class BalanceChecks:
    def __init__(self, table_name: str) -> None:
        self.outbox = Outbox(table_name)

    @staticmethod
    def key(frame_start: str) -> dict[str, str]:
        return {"frameStart": frame_start}

    def record(self, adapt: ProductionAdapt) -> Record:
        return self.outbox.put_once(self.key(adapt.frameStart), adapt.model_dump_json())

    def get(self, frame_start: str) -> ProductionAdapt | None:
        record = self.outbox.get(self.key(frame_start))
        if record is None or record.payload is None:
            return None
        return ProductionAdapt.model_validate_json(record.payload)
