"""Event sources as Lambda's service runs them: SQS batches and the schedule."""

from __future__ import annotations

import hashlib
import json
import random
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from localcloud.faults import FaultInjector
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
    duplicate_rate: float = 0.0  # a batch delivered a second time, as SQS may (`deliver_twice`)
    faults: FaultInjector | None = None  # chaos (`localcloud.faults`): failures, duplicates, copies
    received = 0
    failed = 0
    duplicated = 0

    def poll(self) -> int:
        """Receives one batch and invokes the function; the number of records handled. Under
        fault injection, two batches (or one, twice) may be handled by two copies at once, a
        batch may be delivered twice, and each invocation may fail (see `localcloud.faults`)."""
        if nothing_visible(self.queue_url):
            return 0
        batches = [self._receive()]
        if not batches[0]:
            return 0
        together = self.faults is not None and self.faults.concurrent()
        if together and (second := self._receive()):
            batches.append(second)
        deliveries: list[int] = []  # the batch each delivery carries
        for index, messages in enumerate(batches):
            self.received += len(messages)
            deliveries.append(index)
            if self._deliver_twice():
                self.duplicated += len(messages)
                deliveries.append(index)
        if together and len(deliveries) == 1:  # nothing else to run alongside: the same batch, twice at once
            self.duplicated += len(batches[0])
            deliveries.append(0)
        events = [{"Records": [self._record(m) for m in batches[index]]} for index in deliveries]
        outcomes = self._invoke(events, together)
        failed_ids: set[str] = set()
        for index, (result, error) in zip(deliveries, outcomes, strict=True):
            if error is not None:
                failed_ids |= {m["MessageId"] for m in batches[index]}
            elif self.report_item_failures and isinstance(result, dict):
                failed_ids |= {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        self.failed += len(failed_ids)
        for messages in batches:
            self._settle(messages, failed_ids)
        return sum(len(messages) for messages in batches)

    def _receive(self) -> list[dict[str, Any]]:
        with GRID_LOCK:
            answer = self.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=min(self.batch_size, SQS_RECEIVE_LIMIT),
                WaitTimeSeconds=0,  # never wait inside moto while holding the grid's lock
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
        return list(answer.get("Messages", []))

    def _deliver_twice(self) -> bool:
        if self.faults is not None:
            twice = self.faults.duplicate()
            if twice:
                self.faults.count("batches delivered twice")
            return twice
        return bool(self.duplicate_rate) and random.random() < self.duplicate_rate

    def _invoke(self, events: list[dict[str, Any]], together: bool) -> list[tuple[Any, BaseException | None]]:
        """Each delivery's result or exception: one after the other, or at once."""
        faults = self.faults
        if faults is None:
            outcomes: list[tuple[Any, BaseException | None]] = []
            for event in events:
                try:
                    outcomes.append((self.host.invoke(event), None))
                except Exception as error:
                    outcomes.append((None, error))
            return outcomes
        plans = [faults.plan() for _ in events]
        if together and len(events) > 1:
            faults.count("copies run at once", len(events))
            return self.host.invoke_together(
                events, lambda index, call: faults.run(plans[index], call, concurrent=True)
            )
        outcomes = []
        for event, plan in zip(events, plans, strict=True):
            try:
                outcomes.append((faults.run(plan, partial(self.host.invoke, event)), None))
            except Exception as error:
                outcomes.append((None, error))
        return outcomes

    def _settle(self, messages: list[dict[str, Any]], failed_ids: set[str]) -> None:
        """Deletes what succeeded; what failed comes back (at once in deterministic mode)."""
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
