"""The technicians' alerts (owner: technician-notifier).

AlertsTable (`alertId`, `part`):
- `<alertId>` / `ALERT`: the alert as staff see it, with its `version` (every change is
  conditioned on it) and its listing keys: `listing` (`<since>#<alertId>`, in the `byStatus`
  index under its `status`) and `statusListing` (`<status>#<since>#<alertId>`, in the
  `byCommunity` index under its `communityId`), newest first by `since`;
- `<alertId>` / `SENT#opened` | `SENT#closed`: what technicians are sent (an outbox record),
  written in one transaction with the change that causes it, then published once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from boto3.dynamodb.conditions import ConditionBase, Key
from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import ClientError

from smartgrid import aws
from smartgrid.stores.items import from_item, to_item
from smartgrid.stores.outbox import Outbox, Record
from smartgrid.technicians import AlertRecord, Delivery, Sending, Status

ALERT = "ALERT"
SENT = "SENT#"
BY_STATUS = "byStatus"
BY_COMMUNITY = "byCommunity"
INTERNAL = ("part", "version", "listing", "statusListing")  # the store's own attributes


def sent_key(alert_id: str, delivery: Delivery) -> dict[str, str]:
    return {"alertId": alert_id, "part": SENT + delivery}


@dataclass(frozen=True)
class Found:
    record: AlertRecord
    version: int


@dataclass(frozen=True)
class Page:
    alerts: list[AlertRecord]
    next: str | None  # the `before` of the next page; None: no more


def _listing(record: AlertRecord) -> str:
    return f"{record.since}#{record.alertId}"


class AlertsStore:
    def __init__(self, table_name: str) -> None:
        self.table_name = table_name
        self.outbox = Outbox(table_name)
        self.table = self.outbox.table

    def get(self, alert_id: str) -> Found | None:
        item = self.table.get_item(Key={"alertId": alert_id, "part": ALERT}, ConsistentRead=True).get("Item")
        if item is None:
            return None
        return Found(_alert(item), int(item["version"]))

    def write(self, record: AlertRecord, read_version: int, sending: Sending | None) -> bool:
        """Stores the alert if it is still as read (version 0: absent), with what it sends;
        False when it changed meanwhile (read it again and decide again)."""
        serializer = TypeSerializer()
        item = {
            **to_item(record),
            "part": ALERT,
            "version": read_version + 1,
            "listing": _listing(record),
            "statusListing": f"{record.status}#{_listing(record)}",
        }
        put: dict[str, Any] = {
            "TableName": self.table_name,
            "Item": {name: serializer.serialize(value) for name, value in item.items()},
        }
        if read_version:
            put["ConditionExpression"] = "version = :read"
            put["ExpressionAttributeValues"] = {":read": {"N": str(read_version)}}
        else:
            put["ConditionExpression"] = "attribute_not_exists(alertId)"
        actions: list[dict[str, Any]] = [{"Put": put}]
        if sending is not None:
            actions.append(
                self.outbox.put_action(sent_key(record.alertId, sending.delivery), sending.model_dump_json())
            )
        try:
            aws.client("dynamodb").transact_write_items(TransactItems=actions)
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException":
                return False
            raise
        return True

    def sendings(self, alert_id: str) -> list[tuple[dict[str, str], Record]]:
        """What the alert sends (or sent), each with its outbox record."""
        found = []
        for delivery in ("opened", "closed"):
            key = sent_key(alert_id, delivery)
            record = self.outbox.get(key)
            if record is not None:
                found.append((key, record))
        return found

    def page(self, status: Status, community_id: str | None, limit: int, before: str | None) -> Page:
        """Alerts of a status (in a community), newest first: `limit` of them, before `before`."""
        condition: ConditionBase
        if community_id is None:
            condition = Key("status").eq(status)
            if before:
                condition = condition & Key("listing").lt(before)
            index = BY_STATUS
        else:
            prefix = f"{status}#"
            after = (
                Key("statusListing").lt(prefix + before)
                if before
                else Key("statusListing").begins_with(prefix)
            )
            condition = Key("communityId").eq(community_id) & after
            index = BY_COMMUNITY
        answer = self.table.query(
            IndexName=index, KeyConditionExpression=condition, ScanIndexForward=False, Limit=limit + 1
        )
        # Older than `before` in the community's index may reach into the status below it.
        items = [i for i in answer.get("Items", []) if i["status"] == status]
        shown = items[:limit]
        return Page([_alert(i) for i in shown], str(shown[-1]["listing"]) if len(items) > limit else None)


def _alert(item: dict[str, Any]) -> AlertRecord:
    return from_item(AlertRecord, {k: v for k, v in item.items() if k not in INTERNAL})
