"""The grid clock (owner: clock): one item, advanced with a conditional write."""

from __future__ import annotations

from boto3.dynamodb.conditions import Attr
from botocore.exceptions import ClientError
from pydantic import BaseModel

from smartgrid import aws
from smartgrid.errors import Conflict

CLOCK_KEY = {"clockId": "grid"}


class ClockState(BaseModel):
    now: str
    tickMinutes: int
    earlierEnds: list[str] = []  # where the earlier moves ended, the latest first (see ClockMove)


class ClockRepository:
    def __init__(self, table_name: str) -> None:
        self.table = aws.dynamodb_table(table_name)

    def get(self) -> ClockState | None:
        item = self.table.get_item(Key=CLOCK_KEY, ConsistentRead=True).get("Item")
        if not item:
            return None
        return ClockState(
            now=str(item["now"]),
            tickMinutes=int(item["tickMinutes"]),
            earlierEnds=[str(end) for end in item.get("earlierEnds", [])],
        )

    def move(self, previous: ClockState | None, following: ClockState) -> None:
        """Sets the clock if nobody moved it since `previous` was read."""
        condition = Attr("clockId").not_exists() if previous is None else Attr("now").eq(previous.now)
        try:
            self.table.put_item(Item={**CLOCK_KEY, **following.model_dump()}, ConditionExpression=condition)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise Conflict("the clock moved meanwhile; try again") from error
            raise
