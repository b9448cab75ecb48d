"""What the load run measures besides the call counts: when each frame is published, the
items written, and moto's own batch-write floor on this machine."""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

ITEM_WRITES = {"PutItem", "UpdateItem", "DeleteItem"}  # one item a request
BATCH_WRITES = {"BatchWriteItem": "RequestItems", "TransactWriteItems": "TransactItems"}
DYNAMODB_WRITE_REQUESTS = ITEM_WRITES | set(BATCH_WRITES)
BUS_REQUESTS = {
    "sns": {"Publish", "PublishBatch"},
    "sqs": {"SendMessage", "SendMessageBatch"},
}
BATCH_WRITE_ITEMS = 25  # DynamoDB's limit for one BatchWriteItem


class FramePublications:
    """A call listener: the wall time (perf_counter) each frame was first published on the
    electricity.frame topic, by frame start."""

    def __init__(self, topic_arn: str) -> None:
        self.topic_arn = topic_arn
        self.published: dict[str, float] = {}

    def __call__(self, function: str, service: str, operation: str, params: Any) -> None:
        if service != "sns" or params.get("TopicArn") != self.topic_arn:
            return
        if operation == "Publish":
            bodies = [params["Message"]]
        elif operation == "PublishBatch":
            bodies = [entry["Message"] for entry in params["PublishBatchRequestEntries"]]
        else:
            return
        now = time.perf_counter()
        for body in bodies:
            for event in json.loads(body).get("events", []):
                self.published.setdefault(event["frameStart"], now)


class ItemWrites:
    """A call listener: DynamoDB items written (a batch or a transaction counts its items),
    by calling function."""

    def __init__(self) -> None:
        self.items: Counter[str] = Counter()

    def __call__(self, function: str, service: str, operation: str, params: Any) -> None:
        if service != "dynamodb":
            return
        if operation in ITEM_WRITES:
            self.items[function] += 1
        elif operation == "BatchWriteItem":
            self.items[function] += sum(len(writes) for writes in params["RequestItems"].values())
        elif operation == "TransactWriteItems":
            self.items[function] += len(params["TransactItems"])

    def reset(self) -> None:
        self.items.clear()


@dataclass(frozen=True)
class Floor:
    per_second: float  # items per second of wall time
    per_cpu_second: float  # items per second of this process's CPU: what other work on the machine leaves


def moto_batch_write_floor(dynamodb: Any, seconds: float = 3.0) -> Floor:
    """Items per second moto accepts from one process through BatchWriteItem (25 items of
    about a reading's size a request) on a fresh table: the ceiling of any pipeline here."""
    table = f"bench-floor-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    written = 0
    started, cpu_started = time.perf_counter(), time.process_time()
    try:
        while (elapsed := time.perf_counter() - started) < seconds:
            requests = [
                {
                    "PutRequest": {
                        "Item": {
                            "pk": {"S": f"HOUSE#{(written + n) % 1000}"},
                            "sk": {"S": f"2026-03-01T00:00:00Z#{written + n}"},
                            "wh": {"N": "12.345"},
                            "objects": {"M": {"fridge": {"N": "1.8"}, "standby": {"N": "0.6"}}},
                        }
                    }
                }
                for n in range(BATCH_WRITE_ITEMS)
            ]
            dynamodb.batch_write_item(RequestItems={table: requests})
            written += BATCH_WRITE_ITEMS
        return Floor(written / elapsed, written / max(time.process_time() - cpu_started, 1e-9))
    finally:
        dynamodb.delete_table(TableName=table)
