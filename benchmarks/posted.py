"""What the simulators posted, summed per source and day: the figures the grid must store.

A `ReadingsTally` (the runtime's, for `make run`'s status line) that also keeps, for every
reading the API did not refuse, its energy under its house (or producer) and its day.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from localcloud.gateway import HttpResponse
from localcloud.inprocess import ReadingsTally
from smartgrid.units import wh_to_mwh


class PostedTotals(ReadingsTally):
    def __init__(self) -> None:
        super().__init__()
        self.consumption: Counter[tuple[str, str]] = Counter()  # (house id, day) -> mWh
        self.objects: Counter[tuple[str, str, str]] = Counter()  # (house id, day, object) -> mWh
        self.production: Counter[tuple[str, str]] = Counter()  # (producer id, day) -> mWh
        self.readings = 0
        self.batches = 0
        self.duplicates = 0
        self.refused = 0

    def record(self, body: bytes, response: HttpResponse) -> None:
        super().record(body, response)
        self.batches += 1
        batch = json.loads(body)
        results = response.json().get("results", [])
        status = {(r["kind"], r["index"]): r["status"] for r in results}
        for kind in ("consumption", "production"):
            for index, reading in enumerate(batch.get(kind) or []):
                seen = status.get((kind, index), "refused")
                if seen == "accepted":
                    self._keep(kind, reading)
                elif seen == "duplicate":
                    self.duplicates += 1
                else:
                    self.refused += 1

    def _keep(self, kind: str, reading: dict[str, Any]) -> None:
        self.readings += 1
        day = str(reading["timestamp"])[:10]
        if kind == "consumption":
            for name, wh in reading["objects"].items():
                mwh = wh_to_mwh(wh)
                self.consumption[(reading["houseId"], day)] += mwh
                self.objects[(reading["houseId"], day, name)] += mwh
        else:
            self.production[(reading["producerId"], day)] += wh_to_mwh(reading["wh"])

    def reset(self) -> None:
        """Forgets what was posted so far (the fleet's creation, before the jump)."""
        for counter in (self.consumption, self.objects, self.production):
            counter.clear()
        self.readings = self.batches = self.duplicates = self.refused = 0
