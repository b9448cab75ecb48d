"""The production adapter's own writes to AdapterTable (reads: `setpoints`).

Items (`pk`, `sk`):
- `PRODUCERS / <producerId>`: limit, last actual production, setpoint (see `setpoints`);
- `ACTUAL#<tick> / <producerId>`: what the producer produced in that tick (`w`), kept a week:
  an adaptation is judged against the production of its own frame's tick;
- `ADAPT#<frameStart> / ADAPT`: the adaptation of a frame (outbox record: the
  `reach.production.limit` to publish, if any), written in one transaction with the new
  setpoints and `STATE / STATE.lastFrame`, so a frame adapts once and an older frame never
  undoes a newer one.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Key
from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import ClientError

from smartgrid import aws
from smartgrid.errors import Conflict
from smartgrid.stores.outbox import Outbox, Record
from smartgrid.stores.setpoints import PRODUCERS, ProducerSetpoints

KEEP_SECONDS = 7 * 24 * 3600
STATE_KEY = {"pk": "STATE", "sk": "STATE"}
TRANSACTION_ACTIONS = 100


def _decimal(value: float) -> Decimal:
    return Decimal(str(value))


def _expires() -> int:
    return int(time.time()) + KEEP_SECONDS


class AdapterStore(ProducerSetpoints):
    def __init__(self, table_name: str) -> None:
        super().__init__(table_name)
        self.outbox = Outbox(table_name)

    # Limits and actual production ------------------------------------------------------
    def record_limit(self, producer_id: str, limit_w: float, at: str) -> None:
        """A producer's limit, unless a later one is known; a setpoint above it comes down to it."""
        try:
            self.table.update_item(
                Key={"pk": PRODUCERS, "sk": producer_id},
                UpdateExpression="SET limitW = :limit, limitAt = :at",
                ConditionExpression="attribute_not_exists(limitAt) OR limitAt <= :at",
                ExpressionAttributeValues={":limit": _decimal(limit_w), ":at": at},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
        try:
            self.table.update_item(
                Key={"pk": PRODUCERS, "sk": producer_id},
                UpdateExpression="SET setpointW = limitW",
                ConditionExpression="setpointW > limitW",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def record_production(self, producer_id: str, ticks: Mapping[str, float], limit_w: float) -> None:
        """What a producer produced, tick by tick (W); the latest is its actual production.
        `limit_w` is its limit if none is known yet. Replays write the same values."""
        if not ticks:
            return
        with self.table.batch_writer(overwrite_by_pkeys=["pk", "sk"]) as batch:
            for tick, w in ticks.items():
                batch.put_item(
                    Item={
                        "pk": f"ACTUAL#{tick}",
                        "sk": producer_id,
                        "w": _decimal(w),
                        "expiresAt": _expires(),
                    }
                )
        latest = max(ticks)
        try:
            self.table.update_item(
                Key={"pk": PRODUCERS, "sk": producer_id},
                UpdateExpression="SET actualW = :w, actualAt = :at, limitW = if_not_exists(limitW, :limit)",
                ConditionExpression="attribute_not_exists(actualAt) OR actualAt <= :at",
                ExpressionAttributeValues={
                    ":w": _decimal(ticks[latest]),
                    ":at": latest,
                    ":limit": _decimal(limit_w),
                },
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def actual_at(self, tick: str) -> dict[str, float]:
        """What each producer produced in a tick (W), for those that reported it."""
        found: dict[str, float] = {}
        params: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(f"ACTUAL#{tick}"),
            "ConsistentRead": True,
        }
        while True:
            answer = self.table.query(**params)
            found.update({str(i["sk"]): float(i["w"]) for i in answer.get("Items", [])})
            if "LastEvaluatedKey" not in answer:
                return found
            params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    # Adaptations ------------------------------------------------------------------------
    @staticmethod
    def adapt_key(frame_start: str) -> dict[str, str]:
        return {"pk": f"ADAPT#{frame_start}", "sk": "ADAPT"}

    def adaptation(self, frame_start: str) -> Record | None:
        return self.outbox.get(self.adapt_key(frame_start))

    def last_frame(self) -> str | None:
        item = self.table.get_item(Key=STATE_KEY, ConsistentRead=True).get("Item")
        return str(item["lastFrame"]) if item and "lastFrame" in item else None

    def record_stale(self, frame_start: str, attributes: Mapping[str, Any]) -> Record:
        """An adaptation older than the last one applied: recorded, nothing changed."""
        return self.outbox.put_once(
            self.adapt_key(frame_start), None, {**attributes, "stale": True, "expiresAt": _expires()}
        )

    def apply(
        self,
        frame_start: str,
        setpoints: Mapping[str, float],
        payload: str | None,
        attributes: Mapping[str, Any],
    ) -> Record:
        """Records a frame's adaptation and sets the new setpoints, in one transaction that
        fails (Conflict) if the frame was adapted already or a newer frame was meanwhile.

        Beyond the 98 setpoints one transaction can hold, the rest are set right after it;
        a crash in between leaves them to the next frame's adaptation."""
        record_attributes = {**attributes, "expiresAt": _expires()}
        actions: list[dict[str, Any]] = [
            self.outbox.put_action(self.adapt_key(frame_start), payload, record_attributes),
            {
                "Update": {
                    "TableName": self.table_name,
                    "Key": _serialized(STATE_KEY),
                    "UpdateExpression": "SET lastFrame = :frame",
                    "ConditionExpression": "attribute_not_exists(lastFrame) OR lastFrame < :frame",
                    "ExpressionAttributeValues": {":frame": {"S": frame_start}},
                }
            },
        ]
        changes = sorted(setpoints.items())
        room = TRANSACTION_ACTIONS - len(actions)
        actions.extend(self._setpoint_action(pid, w, frame_start) for pid, w in changes[:room])
        try:
            aws.client("dynamodb").transact_write_items(TransactItems=actions)
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException":
                raise Conflict(f"frame {frame_start} was adapted, or a newer one, meanwhile") from error
            raise
        client = aws.client("dynamodb")
        for pid, w in changes[room:]:
            client.update_item(**self._setpoint_action(pid, w, frame_start)["Update"])
        return Record(payload, payload is None, dict(attributes))

    def _setpoint_action(self, producer_id: str, setpoint_w: float, frame_start: str) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self.table_name,
                "Key": _serialized({"pk": PRODUCERS, "sk": producer_id}),
                "UpdateExpression": "SET setpointW = :w, setpointFrame = :frame",
                "ExpressionAttributeValues": {
                    ":w": {"N": str(_decimal(setpoint_w))},
                    ":frame": {"S": frame_start},
                },
            }
        }


def _serialized(item: Mapping[str, Any]) -> dict[str, Any]:
    serializer = TypeSerializer()
    return {name: serializer.serialize(value) for name, value in item.items()}
