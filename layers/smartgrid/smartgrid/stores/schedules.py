"""Plans and sheddings (owner: consumption-scheduler); the simulated houses read plans.

SchedulesTable (`houseId`, `name`): one plan per schedulable object, with the index
`byCommunity` (`communityId`, `houseId`) for a community's plans. A plan is written with a
check on its `version`, so two writers (a request, a shedding) never lose each other's change.

SheddingsTable (`communityId`, `key`): each time a community's schedulable objects were
stopped. `key` is `<anchor>#<cause>`, the anchor an instant no later than the start (the
peak's frame, the limit's frame, the start itself), so the sheddings that may still be active
are a short range of keys, and a cause acted on twice finds its shedding stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from smartgrid import aws
from smartgrid.gridtime import iso
from smartgrid.schedules import MAX_SHED_MINUTES, ObjectPlan, Shedding
from smartgrid.stores.items import every_item, from_item, items_by_key, to_item

COMMUNITY_INDEX = "byCommunity"
# A shedding's anchor is at most a frame delay plus a late delivery before its start.
ANCHOR_LEAD = timedelta(days=1)


class StaleWrite(Exception):
    """The plan changed since it was read: read it again and redo the change."""


def _conditional_failed(error: ClientError) -> bool:
    return error.response["Error"]["Code"] == "ConditionalCheckFailedException"


class SchedulesStore:
    def __init__(self, table_name: str) -> None:
        self.table_name = table_name
        self.table = aws.dynamodb_table(table_name)

    def get(self, house_id: str, name: str) -> ObjectPlan | None:
        item = self.table.get_item(Key={"houseId": house_id, "name": name}, ConsistentRead=True).get("Item")
        return from_item(ObjectPlan, item) if item else None

    def get_many(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], ObjectPlan]:
        """Plans by (house, object), for those that have one."""
        wanted = [{"houseId": h, "name": n} for h, n in dict.fromkeys(keys)]
        plans = (from_item(ObjectPlan, item) for item in items_by_key(self.table_name, wanted))
        return {(plan.houseId, plan.name): plan for plan in plans}

    def in_community(self, community_id: str) -> list[ObjectPlan]:
        items = every_item(
            self.table.query,
            IndexName=COMMUNITY_INDEX,
            KeyConditionExpression=Key("communityId").eq(community_id),
        )
        return [from_item(ObjectPlan, i) for i in items]

    def save(self, plan: ObjectPlan, expected_version: int | None) -> ObjectPlan:
        """Writes the plan as version `expected_version + 1` (None: a new plan, or one that
        replaces whatever is there); StaleWrite if the stored version moved on."""
        stored = plan.model_copy(update={"version": (expected_version or 0) + 1})
        condition: dict[str, Any] = {}
        if expected_version is not None:
            condition = {
                "ConditionExpression": "#v = :v",
                "ExpressionAttributeNames": {"#v": "version"},
                "ExpressionAttributeValues": {":v": expected_version},
            }
        try:
            self.table.put_item(Item=to_item(stored), **condition)
        except ClientError as error:
            if _conditional_failed(error):
                raise StaleWrite(f"{plan.houseId}/{plan.name}") from error
            raise
        return stored

    def delete(self, house_id: str, name: str) -> bool:
        answer = self.table.delete_item(Key={"houseId": house_id, "name": name}, ReturnValues="ALL_OLD")
        return "Attributes" in answer


class SheddingsStore:
    def __init__(self, table_name: str) -> None:
        self.table = aws.dynamodb_table(table_name)

    def add(self, shedding: Shedding) -> Shedding:
        """Stores the shedding unless its key is stored; the stored one, either way."""
        try:
            self.table.put_item(
                Item=to_item(shedding),
                ConditionExpression="attribute_not_exists(#k)",
                ExpressionAttributeNames={"#k": "key"},
            )
        except ClientError as error:
            if not _conditional_failed(error):
                raise
            stored = self.get(shedding.communityId, shedding.key)
            if stored is None:  # pragma: no cover - sheddings are never deleted
                raise
            return stored
        return shedding

    def get(self, community_id: str, key: str) -> Shedding | None:
        item = self.table.get_item(Key={"communityId": community_id, "key": key}, ConsistentRead=True).get(
            "Item"
        )
        return from_item(Shedding, item) if item else None

    def between(self, community_id: str, first_anchor: str, last_anchor: str) -> list[Shedding]:
        """Sheddings anchored in [first_anchor, last_anchor] (the whole key range of those instants)."""
        condition = Key("communityId").eq(community_id) & Key("key").between(first_anchor, last_anchor + "~")
        items = every_item(self.table.query, KeyConditionExpression=condition, ConsistentRead=True)
        return [from_item(Shedding, i) for i in items]

    def not_over(self, community_id: str, now: datetime) -> list[Shedding]:
        """Sheddings still active at `now` or still to come."""
        lead = ANCHOR_LEAD + timedelta(minutes=MAX_SHED_MINUTES)
        recent = self.between(community_id, iso(now - lead), "9999")
        return [s for s in recent if s.until > iso(now)]

    def end(self, shedding: Shedding, at: str) -> Shedding:
        """Ends the shedding at `at` (if it was to last longer)."""
        if shedding.until <= at:
            return shedding
        try:
            self.table.update_item(
                Key={"communityId": shedding.communityId, "key": shedding.key},
                UpdateExpression="SET #u = :at",
                ConditionExpression="#u > :at",
                ExpressionAttributeNames={"#u": "until"},
                ExpressionAttributeValues={":at": at},
            )
        except ClientError as error:
            if not _conditional_failed(error):
                raise  # otherwise it was ended already, as early or earlier
        return shedding.model_copy(update={"until": at})
