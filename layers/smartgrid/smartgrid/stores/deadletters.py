"""Why messages failed (owner: dlq-admin; every SQS consumer writes): SQS cannot annotate a
message, so the consumer records each record's last failure by message id, and dlq-admin
joins it to the dead letters it samples (a message keeps its id when it moves to its DLQ).

DeadLetterReasonsTable (`messageId`): the last failure of a message (its queue, the function,
the error's type and text, the delivery it ended, when), expiring with the DLQ's retention.
Written only on failure, so the hot path pays nothing.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

from smartgrid import aws

ERROR_LIMIT = 1000  # characters of an error's text
KEEP_SECONDS = 14 * 24 * 3600  # SQS keeps a message at most 14 days: so long the reason is kept
BATCH_GET_LIMIT = 100


class LastFailure(BaseModel):
    function: str = Field(description="the function whose handler failed on it")
    queue: str = Field(description="the queue it was received from (name)")
    errorType: str
    error: str = Field(description=f"the error's text, cut at {ERROR_LIMIT} characters")
    receiveCount: int = Field(description="the delivery that failed (ApproximateReceiveCount)")
    failedAt: str = Field(description="when (UTC, ISO 8601; wall-clock time, not the grid's)")


class DeadLetterReasons:
    def __init__(self, table_name: str) -> None:
        self.table_name = table_name
        self.dynamodb = aws.client("dynamodb")

    def record(self, message_id: str, failure: LastFailure) -> None:
        """The message's last failure, replacing the one before."""
        item: dict[str, Any] = {
            "messageId": {"S": message_id},
            "expiresAt": {"N": str(int(time.time()) + KEEP_SECONDS)},
        }
        for name, value in failure.model_dump().items():
            item[name] = {"N": str(value)} if isinstance(value, int) else {"S": str(value)}
        self.dynamodb.put_item(TableName=self.table_name, Item=item)

    def last_failures(self, message_ids: list[str]) -> dict[str, LastFailure]:
        """The last failure recorded of each message that has one."""
        found: dict[str, LastFailure] = {}
        unique = sorted(set(message_ids))
        for start in range(0, len(unique), BATCH_GET_LIMIT):
            keys: list[dict[str, Any]] = [
                {"messageId": {"S": m}} for m in unique[start : start + BATCH_GET_LIMIT]
            ]
            request: dict[str, Any] = {self.table_name: {"Keys": keys}}
            while request:
                answer = self.dynamodb.batch_get_item(RequestItems=request)
                for item in answer.get("Responses", {}).get(self.table_name, []):
                    found[item["messageId"]["S"]] = LastFailure(
                        **{
                            name: int(item[name]["N"]) if "N" in item[name] else item[name]["S"]
                            for name in LastFailure.model_fields
                            if name in item
                        }
                    )
                request = answer.get("UnprocessedKeys") or {}
        return found


def failure_now(function: str, queue: str, error: BaseException, receive_count: int) -> LastFailure:
    return LastFailure(
        function=function,
        queue=queue,
        errorType=type(error).__name__,
        error=str(error)[:ERROR_LIMIT],
        receiveCount=receive_count,
        failedAt=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
    )
