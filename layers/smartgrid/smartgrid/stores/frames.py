"""The frame stores (owner: electricity-frame).

FramesTable (`pk`, `sk`) holds the per-tick aggregates of one-tick readings, with their
markers, and the readings over several ticks:
- `FRAME#<tick> / SHARD#<nn>`: one of `FRAME_SHARDS` items of a tick. A reading's source
  (`c#<house>`, `p#<producer>`) picks its shard by a hash of its name; the reading sets its
  slot there (`s:<source>`: it counts once however often it is delivered and however many
  copies of the consumer run, see `tally`) and, in the same update, adds its energy to its
  owner's sum in the same item (`consumptionMwh#<community>`, `houseProductionMwh#<community>`,
  `utilityProductionMwh#<producer>`). A batch of a tick's readings writes a few items, not
  one a reading; the marker does not depend on the owner, so a reading delivered again after
  its house got its community still counts once; no item that every reading of a tick writes
  (a hot key under many copies), and none grows past a tick's share of the fleet;
- `SPAN#<hour> / <source>#<start>`: a reading over several ticks of one hour (energy, ticks,
  owner), and `DAYSPAN#<day> / <source>#<start>` one over more than an hour (readings never
  cross midnight); written once (first write wins), and spread over its ticks when a frame
  is read. A three-month jump costs a write per reading, not one per tick nor per hour.
The grid's totals of a tick are the sum of that tick's items and spans, taken when the
frame closes.

ClosedFramesTable (`day`, `frameStart`) holds each closed frame as published (an outbox
record: the frame, and whether it was published).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from boto3.dynamodb.conditions import Key
from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import ClientError

from smartgrid import aws
from smartgrid.events import ElectricityFrame
from smartgrid.gridtime import day_of, days_between, iso, parse_instant
from smartgrid.stores.outbox import Outbox, Record
from smartgrid.stores.shards import shard_of
from smartgrid.stores.tally import Contribution, ItemKey, Rollup, Tally

Measure = Literal["consumption", "houseProduction", "utilityProduction"]
ATTRIBUTE: dict[str, str] = {
    "consumption": "consumptionMwh",
    "houseProduction": "houseProductionMwh",
    "utilityProduction": "utilityProductionMwh",
}
FRAME_PREFIX = "FRAME#"
SPAN_PREFIX = "SPAN#"
DAY_SPAN_PREFIX = "DAYSPAN#"
SHARD_PREFIX = "SHARD#"
# A tick's sources over 64 items: ~200 a shard at 10,000 houses (a few KB an item); an item
# holds ~10,000 (400 KB), so ~600,000 sources a tick; a bigger grid raises it before it starts.
FRAME_SHARDS = 64
TRANSACTION_PUTS = 100


@dataclass(frozen=True)
class Part:
    """A reading's energy in one tick, and where it counts.

    `source` and `tick` name the reading: its marker, which makes it count once. `owner` is the community (consumption, house
    production) or the utility producer (utility production).
    """

    source: str
    tick: str
    mwh: int
    measure: Measure
    owner: str


@dataclass(frozen=True)
class Span:
    """A reading over several ticks: `mwh` spread evenly over `ticks` ticks from `start`."""

    source: str
    start: str
    ticks: int
    tick_minutes: int
    mwh: int
    measure: Measure
    owner: str

    def mwh_at(self, tick: datetime) -> int:
        """Its energy in the tick that starts at `tick` (0 outside the span)."""
        index, off = divmod(int((tick - parse_instant(self.start)).total_seconds()) // 60, self.tick_minutes)
        return portion(self.mwh, self.ticks, index) if off == 0 and 0 <= index < self.ticks else 0


def portion(mwh: int, count: int, index: int) -> int:
    """The `index`-th of `count` even parts of an energy (the remainder on the first parts)."""
    base, rest = divmod(mwh, count)
    return base + (1 if index < rest else 0)


def _hour(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H")


@dataclass
class CommunitySums:
    consumption: int = 0
    house_production: int = 0


@dataclass
class TickAggregates:
    communities: dict[str, CommunitySums] = field(default_factory=dict)
    producers: dict[str, int] = field(default_factory=dict)


class FramesStore:
    def __init__(self, table_name: str) -> None:
        self.table_name = table_name
        self.table = aws.dynamodb_table(table_name)

    def _item(self, pk: str, sk: str) -> ItemKey:
        return ItemKey.of(self.table_name, pk=pk, sk=sk)

    def contribution(self, part: Part) -> Contribution:
        item = self._item(FRAME_PREFIX + part.tick, SHARD_PREFIX + shard_of(part.source, FRAME_SHARDS))
        rollup = Rollup(item, f"{ATTRIBUTE[part.measure]}#{part.owner}")
        return Contribution(item, part.source, part.mwh, (rollup,))

    def add(self, parts: Iterable[Part]) -> int:
        """Adds each part once; how many were new (not counted before)."""
        return len(Tally().apply(self.contribution(p) for p in parts))

    def add_spans(self, spans: Iterable[Span]) -> int:
        """Stores each reading over several ticks once (a replay finds it stored, and leaves
        it as first placed); how many were new. Up to TRANSACTION_PUTS in one call."""
        # One put per item (a transaction may touch an item once): the first copy wins.
        unique: dict[tuple[str, str], Span] = {}
        for span in spans:
            unique.setdefault((span.source, span.start), span)
        puts = [self._put(span) for span in unique.values()]
        return sum(
            self._put_once(puts[i : i + TRANSACTION_PUTS]) for i in range(0, len(puts), TRANSACTION_PUTS)
        )

    def _put(self, span: Span) -> dict[str, Any]:
        serializer = TypeSerializer()
        first = parse_instant(span.start)
        last = first + timedelta(minutes=(span.ticks - 1) * span.tick_minutes)
        within_an_hour = _hour(first) == _hour(last)
        pk = SPAN_PREFIX + _hour(first) if within_an_hour else DAY_SPAN_PREFIX + span.start[:10]
        item = {
            "pk": pk,
            "sk": f"{span.source}#{span.start}",
            "start": span.start,
            "ticks": span.ticks,
            "tickMinutes": span.tick_minutes,
            "mwh": span.mwh,
            "measure": span.measure,
            "owner": span.owner,
        }
        return {
            "TableName": self.table_name,
            "Item": {name: serializer.serialize(value) for name, value in item.items()},
            "ConditionExpression": "attribute_not_exists(pk)",
        }

    def _put_once(self, puts: list[dict[str, Any]]) -> int:
        """Conditional puts, all or nothing; those stored before are set aside and the rest
        put again. A conflict with a concurrent writer fails the call (the message is retried)."""
        client = aws.client("dynamodb")
        while puts:
            try:
                if len(puts) == 1:
                    client.put_item(**puts[0])
                else:
                    client.transact_write_items(TransactItems=[{"Put": put} for put in puts])
                return len(puts)
            except ClientError as error:
                code = error.response["Error"]["Code"]
                if code == "ConditionalCheckFailedException":
                    return 0  # the one span was stored before
                if code != "TransactionCanceledException":
                    raise
                reasons = error.response.get("CancellationReasons", [])
                stored = {
                    i for i, reason in enumerate(reasons) if reason.get("Code") == "ConditionalCheckFailed"
                }
                if not stored:
                    raise
                puts = [put for i, put in enumerate(puts) if i not in stored]
        return 0

    def tick(self, frame_start: str) -> TickAggregates:
        """Every aggregate of a tick, with its share of the spans that cover it, read
        consistently (nothing counted yet: empty)."""
        found = TickAggregates()
        for item in self._query(FRAME_PREFIX + frame_start):
            for name, value in item.items():
                attribute, _, owner = name.partition("#")  # keys and marker slots (`s:…`) match none
                if attribute == ATTRIBUTE["utilityProduction"]:
                    found.producers[owner] = found.producers.get(owner, 0) + int(value)
                elif attribute == ATTRIBUTE["consumption"]:
                    found.communities.setdefault(owner, CommunitySums()).consumption += int(value)
                elif attribute == ATTRIBUTE["houseProduction"]:
                    found.communities.setdefault(owner, CommunitySums()).house_production += int(value)
        tick = parse_instant(frame_start)
        spans = self._query(SPAN_PREFIX + _hour(tick))
        for item in itertools.chain(spans, self._query(DAY_SPAN_PREFIX + frame_start[:10])):
            span = Span(
                source=str(item["sk"]).rpartition("#")[0],
                start=str(item["start"]),
                ticks=int(item["ticks"]),
                tick_minutes=int(item["tickMinutes"]),
                mwh=int(item["mwh"]),
                measure=item["measure"],
                owner=str(item["owner"]),
            )
            mwh = span.mwh_at(tick)
            if not mwh:
                continue
            if span.measure == "utilityProduction":
                found.producers[span.owner] = found.producers.get(span.owner, 0) + mwh
                continue
            sums = found.communities.setdefault(span.owner, CommunitySums())
            if span.measure == "consumption":
                sums.consumption += mwh
            else:
                sums.house_production += mwh
        return found

    def _query(self, pk: str) -> Iterable[dict[str, Any]]:
        params: dict[str, Any] = {"KeyConditionExpression": Key("pk").eq(pk), "ConsistentRead": True}
        while True:
            answer = self.table.query(**params)
            yield from answer.get("Items", [])
            if "LastEvaluatedKey" not in answer:
                return
            params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


class ClosedFramesRepository:
    def __init__(self, table_name: str) -> None:
        self.outbox = Outbox(table_name)

    @staticmethod
    def key(frame_start: str) -> dict[str, str]:
        return {"day": day_of(parse_instant(frame_start)), "frameStart": frame_start}

    def get(self, frame_start: str) -> Record | None:
        return self.outbox.get(self.key(frame_start))

    def frame(self, frame_start: str) -> ElectricityFrame | None:
        """The closed frame, if it was closed."""
        record = self.get(frame_start)
        return ElectricityFrame.model_validate_json(record.payload) if record and record.payload else None

    def store(self, frame: ElectricityFrame) -> Record:
        """Stores a closed frame unless one is stored already; the stored one, either way."""
        return self.outbox.put_once(
            self.key(frame.frameStart), frame.model_dump_json(), {"closedAt": iso(datetime.now(UTC))}
        )

    def between(self, start: str, end: str) -> list[ElectricityFrame]:
        """Closed frames starting in [start, end), oldest first."""
        frames: list[ElectricityFrame] = []
        for day in days_between(parse_instant(start).date(), parse_instant(end).date()):
            params: dict[str, Any] = {
                "KeyConditionExpression": Key("day").eq(day.isoformat())
                & Key("frameStart").between(start, end)
            }
            while True:
                answer = self.outbox.table.query(**params)
                for item in answer.get("Items", []):
                    if str(item["frameStart"]) < end and "payload" in item:
                        frames.append(ElectricityFrame.model_validate_json(str(item["payload"])))
                if "LastEvaluatedKey" not in answer:
                    break
                params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
        return frames
