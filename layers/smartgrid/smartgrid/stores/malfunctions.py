"""The malfunction detector's store (owner: malfunction-detector).

MalfunctionsTable (`pk`, `sk`):
- `COMMUNITY#<id>` / `HOUSE#<id>`: a house that has reported, in its community: `coveredUntil`,
  the end of the latest reading it sent (only ever moves forward, so a redelivered or late
  reading changes nothing), and the state of its silence alert;
- `HOUSE#<id>` | `PRODUCER#<id>` | `COMMUNITY#<id>` / `FAULTS`: the state of a subject's other
  alerts (a house's incoherent data; a community's silence and tallies);
- `CLOCK` / `MOVES`: the ends of the latest clock moves (`ends`), for the silence cutoff;
- `CLOCK` / `HEARD`: `heardUntil`, the latest end of any reading judged (only moves forward).

A subject's state (`state`, JSON: its alert tracks) is written with the alerts it decided and
has not published yet (`outbox`), on condition that its `version` is the one read (and, for a
house's silence, that its `coveredUntil` is the one judged): two copies of the detector never
both decide from one state. The outbox is published, then removed; a crash in between leaves
it for the next look at the subject (a redelivery, the next reading or move), which publishes
it again: the notifier keeps an alert once per id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from smartgrid import aws
from smartgrid.events import AlertSubject
from smartgrid.malfunctions.episodes import SubjectState
from smartgrid.malfunctions.kinds import subject_key
from smartgrid.stores.items import every_item

FAULTS = "FAULTS"
HOUSE = "HOUSE#"
COMMUNITY = "COMMUNITY#"
MOVES = {"pk": "CLOCK", "sk": "MOVES"}
HEARD = {"pk": "CLOCK", "sk": "HEARD"}
GET_BATCH = 100

ItemKey = tuple[str, str]


def faults_key(subject: AlertSubject) -> ItemKey:
    return subject_key(subject), FAULTS


def coverage_key(community_id: str, house_id: str) -> ItemKey:
    return COMMUNITY + community_id, HOUSE + house_id


@dataclass
class Stored:
    """A subject's item as read (version 0: not stored yet)."""

    key: ItemKey
    state: SubjectState = field(default_factory=SubjectState)
    outbox: list[str] = field(default_factory=list)
    version: int = 0
    covered_until: str | None = None

    @property
    def house_id(self) -> str:
        """The house of a coverage item."""
        return self.key[1].removeprefix(HOUSE)


def _stored(item: Mapping[str, Any]) -> Stored:
    state = SubjectState.model_validate_json(str(item["state"])) if "state" in item else SubjectState()
    return Stored(
        key=(str(item["pk"]), str(item["sk"])),
        state=state,
        outbox=[str(entry) for entry in item.get("outbox", [])],
        version=int(item.get("version", 0)),
        covered_until=str(item["coveredUntil"]) if "coveredUntil" in item else None,
    )


def _conditional_failure(error: ClientError) -> bool:
    return error.response["Error"]["Code"] == "ConditionalCheckFailedException"


class MalfunctionsStore:
    def __init__(self, table_name: str) -> None:
        self.table_name = table_name
        self.table = aws.dynamodb_table(table_name)

    # Coverage ---------------------------------------------------------------------------
    def cover(self, coverage: Mapping[ItemKey, str]) -> None:
        """Moves each house's `coveredUntil` forward to the given end (never back)."""
        for (pk, sk), until in coverage.items():
            self._forward({"pk": pk, "sk": sk}, "coveredUntil", until)

    def hear(self, until: str) -> None:
        """Moves `heardUntil`, the latest end of any reading judged, forward (never back)."""
        self._forward(HEARD, "heardUntil", until)

    def heard_until(self) -> str | None:
        item = self.table.get_item(Key=HEARD, ConsistentRead=True).get("Item")
        return str(item["heardUntil"]) if item else None

    def _forward(self, key: Mapping[str, str], attribute: str, until: str) -> None:
        try:
            self.table.update_item(
                Key=dict(key),
                UpdateExpression="SET #at = :until",
                ConditionExpression="attribute_not_exists(#at) OR #at < :until",
                ExpressionAttributeNames={"#at": attribute},
                ExpressionAttributeValues={":until": until},
            )
        except ClientError as error:
            if not _conditional_failure(error):
                raise

    def community(self, community_id: str) -> tuple[list[Stored], Stored]:
        """A community's houses (those that have reported) and its own alerts' item."""
        items = every_item(
            self.table.query,
            KeyConditionExpression=Key("pk").eq(COMMUNITY + community_id),
            ConsistentRead=True,
        )
        houses = [_stored(i) for i in items if str(i["sk"]).startswith(HOUSE)]
        own = next(
            (_stored(i) for i in items if i["sk"] == FAULTS), Stored((COMMUNITY + community_id, FAULTS))
        )
        return houses, own

    # Subjects' states ---------------------------------------------------------------------
    def get(self, key: ItemKey) -> Stored:
        item = self.table.get_item(Key={"pk": key[0], "sk": key[1]}, ConsistentRead=True).get("Item")
        return _stored(item) if item else Stored(key)

    def get_many(self, keys: Iterable[ItemKey]) -> dict[ItemKey, Stored]:
        """The stored ones among the keys (absent keys are not in the answer)."""
        wanted = list(dict.fromkeys(keys))
        found: dict[ItemKey, Stored] = {}
        resource = aws.dynamodb_resource()
        for start in range(0, len(wanted), GET_BATCH):
            request: dict[str, Any] = {
                self.table_name: {
                    "Keys": [{"pk": pk, "sk": sk} for pk, sk in wanted[start : start + GET_BATCH]],
                    "ConsistentRead": True,
                }
            }
            while request:
                answer = resource.batch_get_item(RequestItems=request)
                for item in answer["Responses"].get(self.table_name, []):
                    stored = _stored(item)
                    found[stored.key] = stored
                request = answer.get("UnprocessedKeys") or {}
        return found

    def save(self, read: Stored, state: SubjectState, outbox: list[str]) -> int | None:
        """Writes the state and its outbox if the item is still as read; the new version, or
        None when it changed meanwhile (read it again and decide again)."""
        version = read.version + 1
        condition = "version = :read" if read.version else "attribute_not_exists(version)"
        values: dict[str, Any] = {":state": state.model_dump_json(), ":outbox": outbox, ":version": version}
        if read.version:
            values[":read"] = read.version
        if read.covered_until is not None:
            condition += " AND coveredUntil = :covered"
            values[":covered"] = read.covered_until
        try:
            self.table.update_item(
                Key={"pk": read.key[0], "sk": read.key[1]},
                UpdateExpression="SET #state = :state, outbox = :outbox, version = :version",
                ConditionExpression=condition,
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if _conditional_failure(error):
                return None
            raise
        return version

    def clear_outbox(self, key: ItemKey, version: int) -> None:
        """Removes the published outbox, unless the item moved on (its writer publishes it)."""
        try:
            self.table.update_item(
                Key={"pk": key[0], "sk": key[1]},
                UpdateExpression="REMOVE outbox",
                ConditionExpression="version = :version",
                ExpressionAttributeValues={":version": version},
            )
        except ClientError as error:
            if not _conditional_failure(error):
                raise

    # The clock's moves ---------------------------------------------------------------------
    def moves(self) -> tuple[list[str], int]:
        item = self.table.get_item(Key=MOVES, ConsistentRead=True).get("Item")
        if not item:
            return [], 0
        return [str(end) for end in item.get("ends", [])], int(item.get("version", 0))

    def save_moves(self, ends: list[str], read_version: int) -> bool:
        condition = "version = :read" if read_version else "attribute_not_exists(version)"
        values: dict[str, Any] = {":ends": ends, ":version": read_version + 1}
        if read_version:
            values[":read"] = read_version
        try:
            self.table.update_item(
                Key=MOVES,
                UpdateExpression="SET ends = :ends, version = :version",
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if _conditional_failure(error):
                return False
            raise
        return True
