"""Peaks and thresholds (owner: consumption-peak).

PeaksTable (`communityId`, `key`):
- `<frameStart>` per frame in which the community went over its threshold: the decision
  (the `consumption.peak` event), stored once and published once (see `outbox`);
- under the community `THRESHOLDS`, one item per community whose threshold staff set
  (`key` the community id), so a frame's thresholds are one query.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Key

from smartgrid.events import ConsumptionPeak
from smartgrid.stores.items import every_item
from smartgrid.stores.outbox import Outbox, Record

THRESHOLDS = "THRESHOLDS"


class PeaksStore:
    def __init__(self, table_name: str) -> None:
        self.outbox = Outbox(table_name)
        self.table = self.outbox.table

    @staticmethod
    def key(community_id: str, frame_start: str) -> dict[str, str]:
        return {"communityId": community_id, "key": frame_start}

    def record(self, peak: ConsumptionPeak) -> Record:
        return self.outbox.put_once(self.key(peak.communityId, peak.frameStart), peak.model_dump_json())

    def peaks(self, community_id: str, first: str, last: str) -> list[ConsumptionPeak]:
        """The community's peaks with a frame in [first, last], oldest first."""
        found: list[ConsumptionPeak] = []
        for item in self._query(Key("communityId").eq(community_id) & Key("key").between(first, last)):
            if "payload" in item:
                found.append(ConsumptionPeak.model_validate_json(str(item["payload"])))
        return found

    def thresholds(self) -> dict[str, float]:
        """Community id to the threshold staff set (W); communities not here use the default."""
        return {str(i["key"]): float(i["thresholdW"]) for i in self._query(Key("communityId").eq(THRESHOLDS))}

    def threshold(self, community_id: str) -> float | None:
        item = self.table.get_item(Key={"communityId": THRESHOLDS, "key": community_id}).get("Item")
        return float(item["thresholdW"]) if item else None

    def set_threshold(self, community_id: str, threshold_w: float) -> None:
        self.table.put_item(
            Item={"communityId": THRESHOLDS, "key": community_id, "thresholdW": Decimal(str(threshold_w))}
        )

    def clear_threshold(self, community_id: str) -> None:
        self.table.delete_item(Key={"communityId": THRESHOLDS, "key": community_id})

    def _query(self, condition: Any) -> list[dict[str, Any]]:
        return every_item(self.table.query, KeyConditionExpression=condition, ConsistentRead=True)
