"""Staff are warned when every utility producer is at its limit (consumption-scheduler).

One alert per episode, not per frame: frames close a few ticks late, so a shortfall shows in
several frames in a row. A frame's shortfall is warned about when it stopped new load (a
shedding of its own), or when nothing could be stopped and no warning went out within the
hold before it. Each decision is stored under the frame (published or not) before it is
published, so a redelivered event decides the same and publishes at most once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from boto3.dynamodb.conditions import Key

from smartgrid.bus import Bus
from smartgrid.events import Alert, AlertSubject, ReachProductionLimit, Topic
from smartgrid.gridtime import iso, parse_instant
from smartgrid.schedules import Shedding
from smartgrid.stores.outbox import Outbox, publish_once

GRID = "GRID"  # the sheddings table's partition for grid-wide decisions
SUFFIX = "#limit-alert"


def limit_alert(event: ReachProductionLimit, shed: list[Shedding]) -> Alert:
    stopped = sum(s.shedW for s in shed)
    where = ", ".join(s.communityId for s in shed) or "no community (nothing schedulable was drawing)"
    return Alert(
        alertId=f"production-limit-{event.frameStart}",
        alertType="production.limit.reached",
        subject=AlertSubject(kind="grid", id="grid"),
        message=(
            f"every utility producer is at its limit: {event.shortfallW:.0f} W short in the frame of "
            f"{event.frameStart}; {stopped:.0f} W of schedulable load stopped in {where}"
        ),
        timestamp=event.frameStart,
    )


class LimitWarnings:
    def __init__(self, table_name: str, bus: Bus, hold: timedelta) -> None:
        self.outbox = Outbox(table_name)
        self.bus = bus
        self.hold = hold

    def warn(self, event: ReachProductionLimit, shed: list[Shedding], lease_ms: int) -> bool:
        """Decides (once) whether the frame's shortfall is warned about; True if this call published."""
        key = {"communityId": GRID, "key": event.frameStart + SUFFIX}
        record = self.outbox.get(key)
        if record is None:
            fresh = any(s.sameAs is None for s in shed)
            due = fresh or not self._warned_since(
                parse_instant(event.frameStart) - self.hold, event.frameStart
            )
            record = self.outbox.put_once(key, limit_alert(event, shed).model_dump_json() if due else None)

        def publish(payload: str) -> None:
            self.bus.publish(Topic.ALERT, [Alert.model_validate_json(payload)])

        return publish_once(self.outbox, key, record, publish, lease_ms)

    def _warned_since(self, since: datetime, before: str) -> bool:
        answer = self.outbox.table.query(
            KeyConditionExpression=Key("communityId").eq(GRID) & Key("key").between(iso(since), before),
            ConsistentRead=True,
        )
        return any(
            "payload" in item and str(item["key"]) < before + SUFFIX for item in answer.get("Items", [])
        )
