"""The client database (owner: client-database): one item per house."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from boto3.dynamodb.conditions import Attr, ConditionBase
from botocore.exceptions import ClientError

from smartgrid import aws
from smartgrid.consent import with_change
from smartgrid.errors import Conflict, NotFound
from smartgrid.models import HouseRecord, HouseStatus, Policy
from smartgrid.stores.items import from_item, items_by_key, set_on_existing, to_item

UPDATE_ATTEMPTS = 5


class ClientsRepository:
    def __init__(self, table_name: str) -> None:
        self.table = aws.dynamodb_table(table_name)
        self.table_name = table_name

    def create(self, house: HouseRecord) -> None:
        try:
            self.table.put_item(Item=to_item(house), ConditionExpression=Attr("houseId").not_exists())
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise Conflict(f"house {house.houseId} exists already") from error
            raise

    def delete(self, house_id: str) -> None:
        self.table.delete_item(Key={"houseId": house_id})

    def get(self, house_id: str, *, consistent: bool = False) -> HouseRecord | None:
        item = self.table.get_item(Key={"houseId": house_id}, ConsistentRead=consistent).get("Item")
        return from_item(HouseRecord, item) if item else None

    def replace_token(self, house_id: str, token_sha256: str) -> bool:
        """The house's token is now this one's (the old one stops working); False: no house."""
        return set_on_existing(self.table, {"houseId": house_id}, {"tokenSha256": token_sha256}) is not None

    def require(self, house_id: str, *, consistent: bool = False) -> HouseRecord:
        house = self.get(house_id, consistent=consistent)
        if house is None:
            raise NotFound(f"no house {house_id}", field="houseId")
        return house

    def communities(self, house_ids: Iterable[str]) -> dict[str, str | None]:
        """Each existing house's community (None while it registers); unknown houses are absent."""
        return {house: community for house, (community, _) in self.placements(house_ids).items()}

    def placements(self, house_ids: Iterable[str]) -> dict[str, tuple[str | None, str]]:
        """Each existing house's community (None while it registers) and grid time of
        registration; unknown houses are absent."""
        wanted = list(dict.fromkeys(house_ids))
        found: dict[str, tuple[str | None, str]] = {}
        dynamodb = aws.client("dynamodb")
        for start in range(0, len(wanted), 100):
            request: dict[str, Any] = {
                self.table_name: {
                    "Keys": [{"houseId": {"S": h}} for h in wanted[start : start + 100]],
                    "ProjectionExpression": "houseId, communityId, registeredAt",
                }
            }
            while request:
                answer = dynamodb.batch_get_item(RequestItems=request)
                for item in answer["Responses"].get(self.table_name, []):
                    found[item["houseId"]["S"]] = (
                        item.get("communityId", {}).get("S"),
                        item.get("registeredAt", {}).get("S", ""),
                    )
                request = answer.get("UnprocessedKeys") or {}
        return found

    def get_many(self, house_ids: Iterable[str]) -> dict[str, HouseRecord]:
        """The existing houses among the ids (unknown houses are absent)."""
        wanted = [{"houseId": h} for h in dict.fromkeys(house_ids)]
        houses = (
            from_item(HouseRecord, item) for item in items_by_key(self.table_name, wanted, consistent=False)
        )
        return {house.houseId: house for house in houses}

    def update(
        self,
        house_id: str,
        *,
        name: str | None = None,
        policies: list[Policy] | None = None,
        at: str | None = None,
    ) -> HouseRecord:
        """Renames the house and/or records the policies it accepts from grid time `at` on.
        The policies are written on the condition that they are still those read: two
        concurrent changes both land in the history, in order."""
        for _ in range(UPDATE_ATTEMPTS):
            current = self.require(house_id, consistent=True)
            history = None
            if policies is not None:
                if at is None:
                    raise ValueError("a change of policies needs its grid time")
                history = with_change(current, policies, at)
            sets: list[str] = []
            names: dict[str, str] = {}
            values: dict[str, Any] = {}
            condition: ConditionBase = Attr("houseId").exists()
            if name is not None:
                sets.append("#name = :name")
                names["#name"] = "name"
                values[":name"] = name
            if history is not None:
                sets += ["acceptedPolicies = :policies", "policyChanges = :history"]
                values[":policies"] = [p.value for p in history[-1].acceptedPolicies]
                values[":history"] = [to_item(change) for change in history]
                condition = condition & Attr("acceptedPolicies").eq(
                    [p.value for p in current.acceptedPolicies]
                )
            if not sets:
                return current
            params: dict[str, Any] = {
                "Key": {"houseId": house_id},
                "UpdateExpression": "SET " + ", ".join(sets),
                "ExpressionAttributeValues": values,
                "ConditionExpression": condition,
                "ReturnValues": "ALL_NEW",
            }
            if names:
                params["ExpressionAttributeNames"] = names
            try:
                answer = self.table.update_item(**params)
            except ClientError as error:
                if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                    continue  # changed or deleted meanwhile: read it again
                raise
            return from_item(HouseRecord, answer["Attributes"])
        raise Conflict("the house's policies kept changing meanwhile; try again", field="acceptedPolicies")

    def complete_registration(self, house_id: str, community_id: str) -> HouseRecord:
        """Idempotent: the workflow may run this step more than once."""
        answer = self.table.update_item(
            Key={"houseId": house_id},
            UpdateExpression="SET communityId = :community, #status = :active",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={":community": community_id, ":active": HouseStatus.ACTIVE.value},
            ConditionExpression=Attr("houseId").exists(),
            ReturnValues="ALL_NEW",
        )
        return from_item(HouseRecord, answer["Attributes"])

    def all(self) -> list[HouseRecord]:
        items: list[dict[str, Any]] = []
        params: dict[str, Any] = {}
        while True:
            answer = self.table.scan(**params)
            items.extend(answer.get("Items", []))
            if "LastEvaluatedKey" not in answer:
                return [from_item(HouseRecord, i) for i in items]
            params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
