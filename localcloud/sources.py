"""Event sources as Lambda's service runs them: SQS batches and the schedule."""

from __future__ import annotations

import hashlib
import json
import random
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from localcloud.host import GRID_LOCK, FunctionHost

SQS_RECEIVE_LIMIT = 10


def _moto_queue(queue_url: str) -> Any:
    from moto.sqs.models import sqs_backends

    account, name = queue_url.rstrip("/").split("/")[-2:]
    region = queue_url.split("sqs.")[1].split(".")[0] if "sqs." in queue_url else "us-east-1"
    return sqs_backends[account][region].queues[name]


def queue_settled(queue_url: str) -> bool:
    """True when the in-process queue holds no message, visible or being handled."""
    try:
        queue = _moto_queue(queue_url)
        return not queue.messages and not queue.approximate_number_of_messages_not_visible
    except Exception:  # any doubt: not settled
        return False


def nothing_visible(queue_url: str) -> bool:
    """True when the in-process moto queue holds no visible message: the poll can skip its
    ReceiveMessage (most polls of a tick find their queue empty, and a call into moto costs
    milliseconds). A queue that cannot be looked at is polled as usual."""
    try:
        return not _moto_queue(queue_url).messages
    except Exception:  # any doubt: ask moto the usual way
        return False


@dataclass
class SqsSource:
    """An SQS event source mapping: batches of at most BatchSize, partial failures honoured."""

    host: FunctionHost
    sqs: Any
    queue_url: str
    queue_arn: str
    batch_size: int
    report_item_failures: bool
    region: str
    retry_at_once: bool = False  # deterministic mode: a failed record is visible again at once
    duplicate_rate: float = 0.0  # fault injection: a batch delivered a second time, as SQS may
    received = 0
    failed = 0
    duplicated = 0

    def poll(self) -> int:
        """Receives one batch and invokes the function; the number of records handled."""
        if nothing_visible(self.queue_url):
            return 0
        with GRID_LOCK:
            answer = self.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=min(self.batch_size, SQS_RECEIVE_LIMIT),
                WaitTimeSeconds=0,  # never wait inside moto while holding the grid's lock
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
        messages = answer.get("Messages", [])
        if not messages:
            return 0
        self.received += len(messages)
        event = {"Records": [self._record(m) for m in messages]}
        try:
            result = self.host.invoke(event)
            if self.duplicate_rate and random.random() < self.duplicate_rate:
                self.duplicated += len(messages)
                result = self.host.invoke(event)
        except Exception:
            failed_ids = {m["MessageId"] for m in messages}
        else:
            failed_ids = set()
            if self.report_item_failures and isinstance(result, dict):
                failed_ids = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        self.failed += len(failed_ids)
        with GRID_LOCK:
            done = [m for m in messages if m["MessageId"] not in failed_ids]
            for start in range(0, len(done), 10):
                self.sqs.delete_message_batch(
                    QueueUrl=self.queue_url,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                        for i, m in enumerate(done[start : start + 10])
                    ],
                )
            if self.retry_at_once:
                for m in messages:
                    if m["MessageId"] in failed_ids:
                        self.sqs.change_message_visibility(
                            QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0
                        )
        return len(messages)

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        attributes = {
            name: {
                "stringValue": value.get("StringValue"),
                "binaryValue": value.get("BinaryValue"),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": value["DataType"],
            }
            for name, value in message.get("MessageAttributes", {}).items()
        }
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": attributes,
            "md5OfBody": message.get("MD5OfBody") or hashlib.md5(message["Body"].encode()).hexdigest(),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": self.region,
        }


@dataclass
class RuleSource:
    """An EventBridge rule targeting a function: moto matches the pattern and delivers to an
    SQS queue of the runtime's; each event is one asynchronous invocation, retried twice on
    failure as Lambda does, then dropped (with the count kept)."""

    host: FunctionHost
    sqs: Any
    queue_url: str
    retry_at_once: bool = False
    attempts: int = 3
    received = 0
    failed = 0
    dropped = 0

    def poll(self) -> int:
        if nothing_visible(self.queue_url):
            return 0
        with GRID_LOCK:
            messages = self.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=SQS_RECEIVE_LIMIT,
                WaitTimeSeconds=0,
                AttributeNames=["All"],
            ).get("Messages", [])
        for message in messages:
            self.received += 1
            try:
                self.host.invoke(json.loads(message["Body"]))
            except Exception:
                self.failed += 1
                if int(message["Attributes"].get("ApproximateReceiveCount", "1")) < self.attempts:
                    if self.retry_at_once:
                        with GRID_LOCK:
                            self.sqs.change_message_visibility(
                                QueueUrl=self.queue_url,
                                ReceiptHandle=message["ReceiptHandle"],
                                VisibilityTimeout=0,
                            )
                    continue
                self.dropped += 1
            with GRID_LOCK:
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return len(messages)


@dataclass
class ScheduleSource:
    """An EventBridge schedule; the runtime fires it (moto schedules nothing)."""

    host: FunctionHost
    rule_arn: str
    expression: str
    region: str
    account: str

    def fire(self) -> Any:
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": self.account,
            "time": datetime.fromtimestamp(time.time(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": self.region,
            "resources": [self.rule_arn],
            "detail": {},
        }
        return self.host.invoke(event)
