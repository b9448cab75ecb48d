"""A tap on a topic of the bus: an SQS queue subscribed to it (raw delivery), read on demand.

The runtime's status line shows peaks and alerts through taps; tests listen to topics with
them. A tap is the runtime's own, outside the template: nothing of the grid reads it.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from localcloud.cloud import LocalCloud


class TopicTap:
    def __init__(self, cloud: LocalCloud, topic_logical_id: str) -> None:
        self.cloud = cloud
        # a topic of the template by logical id, or any topic by ARN (one made at run time)
        self.topic_arn = (
            topic_logical_id
            if topic_logical_id.startswith("arn:")
            else cloud.provisioned.topics[topic_logical_id]
        )
        with cloud.locked():
            sqs = cloud.clients.sqs
            self.queue_url = sqs.create_queue(QueueName=f"tap-{uuid.uuid4().hex}")["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])[
                "Attributes"
            ]["QueueArn"]
            self.subscription = cloud.clients.sns.subscribe(
                TopicArn=self.topic_arn,
                Protocol="sqs",
                Endpoint=arn,
                Attributes={"RawMessageDelivery": "true"},
                ReturnSubscriptionArn=True,
            )["SubscriptionArn"]

    def messages(self) -> list[dict[str, Any]]:
        """The messages published since the last call (bodies parsed), with their attributes."""
        found: list[dict[str, Any]] = []
        with self.cloud.locked():
            sqs = self.cloud.clients.sqs
            while True:
                answer = sqs.receive_message(
                    QueueUrl=self.queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
                )
                batch = answer.get("Messages", [])
                if not batch:
                    return found
                for message in batch:
                    body = json.loads(message["Body"])
                    body["_attributes"] = {
                        k: v.get("StringValue") for k, v in message.get("MessageAttributes", {}).items()
                    }
                    found.append(body)
                sqs.delete_message_batch(
                    QueueUrl=self.queue_url,
                    Entries=[
                        {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(batch)
                    ],
                )

    def events(self) -> list[dict[str, Any]]:
        """Every event of the messages published since the last call, in order."""
        return [event for message in self.messages() for event in message["events"]]

    def close(self) -> None:
        with self.cloud.locked():
            self.cloud.clients.sns.unsubscribe(SubscriptionArn=self.subscription)
            self.cloud.clients.sqs.delete_queue(QueueUrl=self.queue_url)
