"""The exactly-once tally against moto's DynamoDB: duplicates, crashes, big batches."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from smartgrid import aws
from smartgrid.stores.tally import Contribution, ItemKey, Rollup, Tally, read_totals

TABLE = "tally-test"


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with mock_aws():
        aws.forget_clients()
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client
    aws.forget_clients()


def key(pk: str, sk: str) -> ItemKey:
    return ItemKey.of(TABLE, pk=pk, sk=sk)


GRID = key("grid", "2026-03-01")


def reading(house: str, minute: int, value: int, community: str = "c-1") -> Contribution:
    return Contribution(
        marker=key(house, "2026-03-01"),
        slot=f"10:{minute:02d}",
        value=value,
        rollups=(
            Rollup(key(house, "2026-03-01"), "mwh"),
            Rollup(key(f"community#{community}", "2026-03-01"), "mwh"),
            Rollup(GRID, "mwh"),
        ),
    )


def totals(*items: ItemKey) -> list[int]:
    found = read_totals(items, ["mwh"])
    return [found[i]["mwh"] for i in items]


def test_each_reading_counts_once_at_every_level(dynamodb: Any) -> None:
    # Given readings of two houses of one community
    batch = [reading("h-a", m, 1000 + m) for m in range(5)] + [reading("h-b", m, 7) for m in range(3)]
    # When they are applied, then applied again (a redelivered message)
    first = Tally().apply(batch)
    second = Tally().apply(batch)
    # Then the first pass counted all, the second none, and every total is exact
    assert len(first) == 8 and second == []
    house_a = sum(1000 + m for m in range(5))
    assert totals(key("h-a", "2026-03-01"), key("h-b", "2026-03-01")) == [house_a, 21]
    assert totals(key("community#c-1", "2026-03-01"), GRID) == [house_a + 21, house_a + 21]


def test_a_batch_mixing_new_and_counted_readings_counts_only_the_new(dynamodb: Any) -> None:
    # Given some readings already counted
    Tally().apply([reading("h-a", 0, 5), reading("h-a", 1, 6)])
    # When a batch repeats them among new ones (a second copy of a function, a replayed batch)
    new = Tally().apply([reading("h-a", 1, 6), reading("h-a", 2, 7), reading("h-c", 0, 100, "c-2")])
    # Then only the new ones are added
    assert sorted((c.marker.key, c.slot) for c in new) == sorted(
        [(key("h-a", "2026-03-01").key, "10:02"), (key("h-c", "2026-03-01").key, "10:00")]
    )
    assert totals(key("h-a", "2026-03-01"), GRID, key("community#c-2", "2026-03-01")) == [18, 118, 100]


def test_a_reading_twice_in_one_batch_counts_once(dynamodb: Any) -> None:
    applied = Tally().apply([reading("h-a", 0, 5), reading("h-a", 0, 5)])
    assert len(applied) == 1 and totals(GRID) == [5]


def test_a_large_batch_spans_many_transactions_and_stays_exact(dynamodb: Any) -> None:
    # Given a day of one-minute readings for one house (a head-end's daily upload), and 150 houses
    day = [
        Contribution(key("h-day", "2026-03-01"), f"{m // 60:02d}:{m % 60:02d}", 2, (Rollup(GRID, "mwh"),))
        for m in range(1440)
    ]
    many = [reading(f"h-{n}", 0, 3) for n in range(150)]
    # When applied
    applied = Tally().apply(day + many)
    # Then every one counted once
    assert len(applied) == 1440 + 150
    assert totals(GRID) == [1440 * 2 + 150 * 3]
    assert Tally().apply(day + many) == []


def test_a_crash_after_some_transactions_loses_and_doubles_nothing(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a batch larger than one transaction, and a client that dies after the first commit
    batch = [reading(f"h-{n}", 0, 10) for n in range(120)]
    real = aws.client("dynamodb").transact_write_items
    calls = {"n": 0}

    def dies_after_first(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise ConnectionError("the function died")
        return real(**kwargs)

    monkeypatch.setattr(aws.client("dynamodb"), "transact_write_items", dies_after_first)
    with pytest.raises(ConnectionError):
        Tally().apply(batch)
    monkeypatch.undo()
    # When the batch is delivered again
    Tally().apply(batch)
    # Then the total is exact
    assert totals(GRID) == [1200]


def test_an_item_of_many_slots_is_written_whole(dynamodb: Any) -> None:
    # Given a tick's item with a slot for each of 250 houses (more than one update can carry)
    from smartgrid.stores.slots import SlotTable, SlotWrite

    table = SlotTable(TABLE, "pk", "sk")
    writes = [SlotWrite(("2026-03-01", "10:00"), f"h-{n:03d}", n) for n in range(250)]
    # When written, with another item in the same call, and written again
    table.write([*writes, SlotWrite(("2026-03-01", "10:01"), "h-000", 7)])
    table.write(writes)
    # Then every slot is there once, with its value
    assert table.get(("2026-03-01", "10:00")) == {f"h-{n:03d}": n for n in range(250)}
    assert table.get(("2026-03-01", "10:01")) == {"h-000": 7}


def test_a_jump_of_many_houses_and_days_shares_each_days_rollups_in_few_transactions(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a daily reading of 30 houses for 10 days, in the order they arrive (house by house),
    # each rolling up into its day of the grid
    def day(n: int) -> str:
        return f"2026-03-{1 + n:02d}"

    batch = [
        Contribution(key(f"h-{h}", day(d)), "00:00", 7, (Rollup(key("grid", day(d)), "mwh"),))
        for h in range(30)
        for d in range(10)
    ]
    actions: list[int] = []
    real = aws.client("dynamodb").transact_write_items

    def counted(**kwargs: Any) -> Any:
        actions.append(len(kwargs["TransactItems"]))
        return real(**kwargs)

    monkeypatch.setattr(aws.client("dynamodb"), "transact_write_items", counted)
    # When applied
    applied = Tally().apply(batch)
    # Then each day's houses meet in a transaction: about one action per house-day, and a
    # grid day once per transaction it is in (not once per house-day, which would be 600)
    assert len(applied) == 300
    assert sum(actions) <= 300 + 10 + len(actions)
    # And every day's total is exact
    assert [read_totals([key("grid", day(d))], ["mwh"])[key("grid", day(d))]["mwh"] for d in range(10)] == [
        210
    ] * 10
