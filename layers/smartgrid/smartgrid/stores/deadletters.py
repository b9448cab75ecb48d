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

from pydantic import BaseModel, Field

from smartgrid import aws
from smartgrid.stores.items import from_item, items_by_key, to_item

ERROR_LIMIT = 1000  # characters of an error's text
KEEP_SECONDS = 14 * 24 * 3600  # SQS keeps a message at most 14 days: so long the reason is kept


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

    def record(self, message_id: str, failure: LastFailure) -> None:
        """The message's last failure, replacing the one before."""
        item = {"messageId": message_id, "expiresAt": int(time.time()) + KEEP_SECONDS, **to_item(failure)}
        aws.dynamodb_table(self.table_name).put_item(Item=item)

    def last_failures(self, message_ids: list[str]) -> dict[str, LastFailure]:
        """The last failure recorded of each message that has one."""
        keys = [{"messageId": m} for m in sorted(set(message_ids))]
        return {
            str(item["messageId"]): from_item(LastFailure, item)
            for item in items_by_key(self.table_name, keys, consistent=False)
        }


def failure_now(function: str, queue: str, error: BaseException, receive_count: int) -> LastFailure:
    return LastFailure(
        function=function,
        queue=queue,
        errorType=type(error).__name__,
        error=str(error)[:ERROR_LIMIT],
        receiveCount=receive_count,
        failedAt=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
    )
